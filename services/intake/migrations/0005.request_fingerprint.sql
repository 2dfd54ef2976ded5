-- The SHA-256 of the canonical command each upstream event id was first used for
-- (services/intake/dossier/fingerprint.py): the same id with the same command replays,
-- with a different one is refused. Rows recorded before this column have none and
-- replay as they did.
-- depends: 0002.dossiers
ALTER TABLE dossier_events ADD COLUMN request_sha256 bytea;
