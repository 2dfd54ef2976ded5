-- Duty officers of the board. Passwords are kept as scrypt hashes; sessions as SHA-256 of
-- their token, so neither a dump nor a log line holds anything usable.
-- depends: 0001.apology_letters
CREATE TABLE officers (
    username         text PRIMARY KEY,
    display_name     text NOT NULL,
    unit_code        text NOT NULL,          -- the root of the subtree the officer watches
    password_scrypt  bytea NOT NULL,
    password_salt    bytea NOT NULL,
    created_at       timestamptz NOT NULL DEFAULT now(),
    disabled_at      timestamptz
);

CREATE TABLE officer_sessions (
    token_sha256  bytea PRIMARY KEY,
    username      text NOT NULL REFERENCES officers (username),
    created_at    timestamptz NOT NULL DEFAULT now(),
    expires_at    timestamptz NOT NULL
);
