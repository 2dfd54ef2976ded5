-- Kafka delivers at least once; reporting counts once. An event id seen here has already
-- been added to the figures.
CREATE TABLE processed_events (
    event_id     text        PRIMARY KEY,
    processed_at timestamptz NOT NULL DEFAULT now()
);
