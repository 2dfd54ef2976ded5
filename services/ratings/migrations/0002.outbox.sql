-- The transactional outbox (motcua.outbox): an invitation or a rating and its event commit
-- together; the relay publishes rows in id order and marks them published.
-- depends: 0001.rating_invitations
CREATE TABLE outbox (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id      text        NOT NULL UNIQUE,
    topic         text        NOT NULL,
    message_key   text        NOT NULL,
    payload       jsonb       NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    published_at  timestamptz,
    created_xid   xid8        NOT NULL DEFAULT pg_current_xact_id()
);

CREATE INDEX outbox_unpublished ON outbox (id) WHERE published_at IS NULL;
