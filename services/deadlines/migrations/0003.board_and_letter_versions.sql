-- The duty-officer board and the apology letters' lifecycle.
-- depends: 0002.officers

-- Dossiers that have had an alert: what the board lists. Written by the worker that owns
-- the dossier's partition, read by every board; changes are announced on NOTIFY board.
CREATE TABLE watched_dossiers (
    dossier_id       uuid PRIMARY KEY,
    dossier_code     text        NOT NULL,
    unit_code        text        NOT NULL,
    unit_path        text[]      NOT NULL,
    procedure_code   text        NOT NULL,
    episode          integer     NOT NULL CHECK (episode >= 1),
    due_at           timestamptz NOT NULL,
    original_due_at  timestamptz NOT NULL,
    status           text        NOT NULL
                     CHECK (status IN ('due_soon', 'overdue', 'rescheduled', 'closed')),
    rescheduled      boolean     NOT NULL DEFAULT false,
    acknowledged_by  text REFERENCES officers (username),
    acknowledged_at  timestamptz,
    updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX watched_dossiers_open_subtree ON watched_dossiers USING gin (unit_path)
    WHERE status <> 'closed';

-- A letter is a draft (no number) until an officer gives the reason; then it is issued
-- with a number unique within its unit and year.
ALTER TABLE apology_letters
    ALTER COLUMN letter_number DROP NOT NULL,
    ADD COLUMN unit_code       text        NOT NULL,
    ADD COLUMN original_due_at timestamptz NOT NULL,
    ADD COLUMN status          text        NOT NULL DEFAULT 'draft'
                               CHECK (status IN ('draft', 'issued')),
    ADD COLUMN letter_year     integer,
    ADD COLUMN new_due_at      timestamptz,
    ADD COLUMN issued_at       timestamptz,
    ADD CONSTRAINT issued_letters_are_numbered CHECK (
        status = 'draft'
        OR (letter_number IS NOT NULL AND letter_year IS NOT NULL AND new_due_at IS NOT NULL)
    );
CREATE UNIQUE INDEX apology_letters_number ON apology_letters (unit_code, letter_year, letter_number)
    WHERE letter_number IS NOT NULL;

CREATE TABLE apology_letter_counters (
    unit_code    text    NOT NULL,
    letter_year  integer NOT NULL,
    last_number  integer NOT NULL,
    PRIMARY KEY (unit_code, letter_year)
);

-- Every confirmation or correction is a version of the same letter. The PDF is kept as
-- sent; `published_at` is set once the apology-issued event is acknowledged by Kafka, and
-- a timer republishes versions left unpublished by a crash.
CREATE TABLE apology_letter_versions (
    letter_id     bigint      NOT NULL REFERENCES apology_letters (id),
    version       integer     NOT NULL CHECK (version >= 1),
    reason        text        NOT NULL CHECK (length(reason) BETWEEN 1 AND 2000),
    issued_by     text        NOT NULL REFERENCES officers (username),
    issued_at     timestamptz NOT NULL,
    pdf           bytea       NOT NULL,
    published_at  timestamptz,
    PRIMARY KEY (letter_id, version)
);
CREATE INDEX apology_letter_versions_unpublished ON apology_letter_versions (issued_at)
    WHERE published_at IS NULL;
