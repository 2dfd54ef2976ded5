-- The systems that post citizens' answers for them (the national portal, VNeID): each
-- with its own API key (`mcp_…`, only its SHA-256 kept), made and revoked with
-- `python -m services.ratings.manage create-key / revoke-key`, and its own quota of
-- ratings a minute (NULL: PORTAL_QUOTA_PER_MINUTE).
-- depends: 0009.officer_names
CREATE TABLE portal_keys (
    name        text PRIMARY KEY CHECK (name ~ '^[a-z0-9][a-z0-9._-]{0,99}$'),
    key_sha256  bytea NOT NULL UNIQUE CHECK (octet_length(key_sha256) = 32),
    per_minute  integer CHECK (per_minute > 0),
    created_at  timestamptz NOT NULL DEFAULT now(),
    revoked_at  timestamptz
);
