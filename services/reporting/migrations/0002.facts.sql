-- Reporting's official figures are computed from these facts, one row per dossier (per
-- letter, invitation, rating, follow-up), kept beside the Kafka offsets that produced them
-- in the same transaction: a batch of events and its offsets commit together or not at all.
DROP TABLE IF EXISTS processed_events;

CREATE TABLE consumed_offsets (
    topic       text    NOT NULL,
    partition   integer NOT NULL,
    next_offset bigint  NOT NULL,
    PRIMARY KEY (topic, partition)
);

-- One dossier as its lifecycle events left it; an event is applied only when its sequence
-- is newer than last_sequence.
CREATE TABLE dossiers (
    dossier_id          uuid        PRIMARY KEY,
    dossier_code        text        NOT NULL,
    unit_code           text        NOT NULL,
    unit_path           text[]      NOT NULL,
    procedure_code      text        NOT NULL,
    channel             text        NOT NULL,
    online_level        text,
    received_at         timestamptz NOT NULL,
    receipt_due_at      timestamptz NOT NULL,
    due_at              timestamptz,
    rescheduled         boolean     NOT NULL DEFAULT false,
    state               text        NOT NULL,
    finished_at         timestamptz,
    outcome             text,
    legal_finish        text,
    portal_finish       text,
    supplement_requests integer     NOT NULL DEFAULT 0,
    supplement_since    timestamptz,
    supplement_waiting  interval    NOT NULL DEFAULT '0',
    returned_at         timestamptz,
    returned_channel    text,
    ended_at            timestamptz,
    handler_ref         text,
    last_sequence       integer     NOT NULL
);
CREATE INDEX dossiers_unit_path ON dossiers USING gin (unit_path);
CREATE INDEX dossiers_received_at ON dossiers (received_at);
CREATE INDEX dossiers_finished_at ON dossiers (finished_at) WHERE finished_at IS NOT NULL;
CREATE INDEX dossiers_open ON dossiers (received_at) WHERE finished_at IS NULL;

-- Apology letters (Mẫu 04), one per lateness episode; in_time when it went out by the
-- legal apology deadline (one working day before the appointment it moved).
CREATE TABLE apologies (
    dossier_id       uuid        NOT NULL,
    episode          integer     NOT NULL,
    unit_path        text[]      NOT NULL,
    procedure_code   text        NOT NULL,
    letter_number    text        NOT NULL,
    issued_at        timestamptz NOT NULL,
    original_due_at  timestamptz NOT NULL,
    apology_deadline timestamptz NOT NULL,
    in_time          boolean     NOT NULL,
    PRIMARY KEY (dossier_id, episode)
);
CREATE INDEX apologies_unit_path ON apologies USING gin (unit_path);

CREATE TABLE invitations (
    dossier_id     uuid        PRIMARY KEY,
    invitation_id  uuid        NOT NULL,
    unit_path      text[]      NOT NULL,
    procedure_code text        NOT NULL,
    invited_at     timestamptz NOT NULL
);
CREATE INDEX invitations_unit_path ON invitations USING gin (unit_path);

-- A rating's scores are the criteria of Nghị định 61 Điều 31 by number (1–9); a
-- criterion not asked or left blank is NULL.
CREATE TABLE ratings (
    rating_id      uuid        PRIMARY KEY,
    dossier_id     uuid        NOT NULL,
    unit_path      text[]      NOT NULL,
    procedure_code text        NOT NULL,
    channel        text        NOT NULL,
    staff_present  boolean     NOT NULL,
    valid          boolean     NOT NULL,
    invalid_reason text,
    overall        text,
    scores         smallint[]  NOT NULL,
    submitted_at   timestamptz NOT NULL
);
CREATE INDEX ratings_unit_path ON ratings USING gin (unit_path);
CREATE INDEX ratings_dossier ON ratings (dossier_id);

CREATE TABLE followups (
    followup_id uuid        PRIMARY KEY,
    dossier_id  uuid        NOT NULL,
    unit_path   text[]      NOT NULL,
    opened_at   timestamptz NOT NULL,
    due_at      timestamptz NOT NULL,
    closed_at   timestamptz,
    on_time     boolean
);

-- What intake's catalogue says of procedures and units (names, fields), refreshed from
-- intake's API: reporting never reads intake's tables.
CREATE TABLE procedures (
    code  text PRIMARY KEY,
    name         text NOT NULL,
    field        text NOT NULL,
    online_level text
);
CREATE TABLE units (
    code      text   PRIMARY KEY,
    name      text   NOT NULL,
    unit_path text[] NOT NULL
);

-- A month a leader closed ("chốt số liệu"): its figures frozen with the formula version.
CREATE TABLE closed_periods (
    period          text        NOT NULL,
    unit_code       text        NOT NULL,
    closed_at       timestamptz NOT NULL,
    closed_by       text        NOT NULL,
    formula_version text        NOT NULL,
    figures         jsonb       NOT NULL,
    PRIMARY KEY (period, unit_code)
);
