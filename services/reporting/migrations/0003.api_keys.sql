-- Systems that read reports (a provincial dashboard, the ministry's portal) use an API key
-- bound to a unit subtree; only its SHA-256 is kept.
CREATE TABLE api_keys (
    key_sha256 bytea       PRIMARY KEY,
    name       text        NOT NULL,
    unit_code  text        NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    disabled   boolean     NOT NULL DEFAULT false
);
