-- The transactional outbox (motcua.outbox), the one copy of its DDL: a state change and
-- its event commit together; the relay publishes rows in id order and marks them
-- published. created_xid is the inserting transaction, so the lag can be measured from
-- its commit time (pg_xact_commit_timestamp; xmin will not do, since marking a row
-- published rewrites it). Idempotent: a schema that had a copy of its own (intake's,
-- ratings') before this file existed gets the same shape as a fresh one.
CREATE TABLE IF NOT EXISTS outbox (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id      text        NOT NULL UNIQUE,
    topic         text        NOT NULL,
    message_key   text        NOT NULL,
    payload       jsonb       NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    published_at  timestamptz,
    created_xid   xid8        NOT NULL DEFAULT pg_current_xact_id()
);
ALTER TABLE outbox ADD COLUMN IF NOT EXISTS created_xid xid8 NOT NULL DEFAULT pg_current_xact_id();

CREATE INDEX IF NOT EXISTS outbox_unpublished ON outbox (id) WHERE published_at IS NULL;
