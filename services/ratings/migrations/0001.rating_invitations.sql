-- Rating invitations. Only a hash of the token is stored: the token itself travels once,
-- to the citizen, and is single-use (used_at is set when the rating is accepted).
CREATE TABLE rating_invitations (
    id           uuid        PRIMARY KEY,
    dossier_id   uuid        NOT NULL UNIQUE,
    token_sha256 bytea       NOT NULL UNIQUE,
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL,
    used_at      timestamptz
);
