-- The audit trail every service keeps alike in its own schema (motcua/audit): who did
-- what to which record, when, from where, with what outcome. Append-only: a trigger
-- refuses UPDATE, DELETE and TRUNCATE, and each entry carries the hash of the one before,
-- so a change made behind the trigger's back is found by `manage verify-audit`.

CREATE TABLE audit_log (
    seq         bigint PRIMARY KEY CHECK (seq > 0),
    at          timestamptz NOT NULL,
    actor       text NOT NULL,
    actor_kind  text NOT NULL CHECK (actor_kind IN ('officer', 'system', 'admin', 'scheduler', 'anonymous')),
    action      text NOT NULL,
    record_type text NOT NULL DEFAULT '',
    record_id   text NOT NULL DEFAULT '',
    unit_path   text[] NOT NULL DEFAULT '{}',
    address     text,
    outcome     text NOT NULL CHECK (outcome IN ('ok', 'refused', 'failed')),
    details     jsonb NOT NULL DEFAULT '{}',
    prev_hash   bytea NOT NULL,
    hash        bytea NOT NULL
);

CREATE INDEX audit_log_at ON audit_log (at DESC);
CREATE INDEX audit_log_actor ON audit_log (actor, at DESC);
CREATE INDEX audit_log_action ON audit_log (action, at DESC);
CREATE INDEX audit_log_record ON audit_log (record_type, record_id);
CREATE INDEX audit_log_units ON audit_log USING gin (unit_path);

CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only (% refused)', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;

CREATE TRIGGER audit_log_no_update BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();
