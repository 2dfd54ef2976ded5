-- The history importer (docs/history-import.md): one checkpoint per file, by its SHA-256,
-- advanced in the same transaction as each batch it writes, so a run killed part-way
-- resumes after the last batch that committed; and which dossier each imported code was,
-- so a second run over the same line finds it already there and a different dossier
-- under a taken code is refused.
-- depends: 0011.unit_lifecycle
CREATE TABLE history_imports (
    file_sha256  bytea PRIMARY KEY,
    file_name    text NOT NULL,
    lines_done   bigint NOT NULL DEFAULT 0 CHECK (lines_done >= 0),
    imported     bigint NOT NULL DEFAULT 0,
    already      bigint NOT NULL DEFAULT 0,
    refused      bigint NOT NULL DEFAULT 0,
    started_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    finished_at  timestamptz
);

CREATE TABLE history_dossiers (
    dossier_code   text PRIMARY KEY REFERENCES dossiers (code),
    record_sha256  bytea NOT NULL,
    file_sha256    bytea NOT NULL REFERENCES history_imports (file_sha256),
    line           bigint NOT NULL
);
