-- depends: 0014.audit
-- Guarded sign-in (services/deadlines/signin_guard.py): every failed attempt, by the
-- username tried (known or not, alike) and the client's address, so the throttle counts
-- them across every officers' web process and restart. Never a password. A successful
-- sign-in clears its account's failures; `manage unlock` clears an account's or an
-- address's. Rows older than the window count for nothing and are swept as attempts come.
CREATE TABLE signin_failures (
    id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at        timestamptz NOT NULL DEFAULT now(),
    username  text NOT NULL,
    address   text NOT NULL
);
CREATE INDEX signin_failures_username ON signin_failures (username, at DESC);
CREATE INDEX signin_failures_address ON signin_failures (address, at DESC);
CREATE INDEX signin_failures_at ON signin_failures (at);

-- `manage revoke-sessions`: sign-in tokens issued before this are refused on deadlines, so
-- its pages cannot renew one the revoked session handed out.
ALTER TABLE officers ADD COLUMN sessions_revoked_at timestamptz;

-- The inspector reads the audit trail (motcua.identity.Role.INSPECTOR).
ALTER TABLE officers DROP CONSTRAINT officers_roles_check;
ALTER TABLE officers ADD CONSTRAINT officers_roles_check
    CHECK (cardinality(roles) > 0
           AND roles <@ ARRAY['duty_officer', 'unit_head', 'leader', 'staff_entry', 'inspector']);
