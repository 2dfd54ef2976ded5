-- The inserting transaction, so the outbox lag can be measured from its commit time
-- (pg_xact_commit_timestamp, with track_commit_timestamp on); xmin will not do, since
-- marking a row published rewrites it.
-- depends: 0002.dossiers
ALTER TABLE outbox ADD COLUMN created_xid xid8 NOT NULL DEFAULT pg_current_xact_id();
