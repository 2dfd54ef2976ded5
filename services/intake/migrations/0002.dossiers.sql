-- Intake's system of record: reference data, upstream systems, dossiers and their timeline.
-- depends: outbox.0001.table

CREATE TABLE units (
    code         text PRIMARY KEY,
    parent_code  text REFERENCES units (code),
    name         text NOT NULL,
    level        text NOT NULL CHECK (level IN ('central', 'province', 'district', 'commune')),
    address      text,
    path         text[] NOT NULL            -- root first, the unit itself last
);
CREATE INDEX units_path ON units USING gin (path);

CREATE TABLE procedures (
    code               text PRIMARY KEY,
    name               text NOT NULL,
    field              text NOT NULL,
    processing_amount  integer NOT NULL CHECK (processing_amount >= 0),
    processing_unit    text NOT NULL
                       CHECK (processing_unit IN ('working_days', 'working_hours', 'calendar_days')),
    online_level       text NOT NULL CHECK (online_level IN ('full', 'partial', 'none')),
    result_channels    text[] NOT NULL,
    pause_policy       text NOT NULL,
    basis              text,
    unconfirmed        boolean NOT NULL DEFAULT false,
    active             boolean NOT NULL DEFAULT true,
    version            integer NOT NULL DEFAULT 1,
    updated_at         timestamptz NOT NULL DEFAULT now()
);

-- Each upstream case system has its own key, bound to a unit subtree. Only a hash is kept.
CREATE TABLE upstream_systems (
    id              uuid PRIMARY KEY,
    name            text NOT NULL UNIQUE,
    api_key_sha256  bytea NOT NULL UNIQUE,
    unit_code       text NOT NULL REFERENCES units (code),
    scopes          text[] NOT NULL DEFAULT '{dossiers:write}',
    created_at      timestamptz NOT NULL DEFAULT now(),
    disabled_at     timestamptz
);

-- The only place citizen personal data lives in the whole platform.
CREATE TABLE applicants (
    ref          text PRIMARY KEY,              -- pseudonymous, carried by events
    kind         text NOT NULL CHECK (kind IN ('citizen', 'organisation')),
    full_name    text NOT NULL,
    id_number    text,
    phone        text,
    email        text,
    address      text,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE dossier_code_counters (
    unit_code  text NOT NULL,
    day        date NOT NULL,
    last       integer NOT NULL,
    PRIMARY KEY (unit_code, day)
);

CREATE TABLE dossiers (
    id                  uuid PRIMARY KEY,
    code                text NOT NULL UNIQUE,
    procedure_code      text NOT NULL REFERENCES procedures (code),
    unit_code           text NOT NULL REFERENCES units (code),
    unit_path           text[] NOT NULL,
    channel             text NOT NULL CHECK (channel IN ('in_person', 'postal', 'online')),
    state               text NOT NULL,
    applicant_ref       text NOT NULL REFERENCES applicants (ref),
    contact_preference  text NOT NULL,
    received_at         timestamptz NOT NULL,
    clock_started_at    timestamptz NOT NULL,
    due_at              timestamptz NOT NULL,
    original_due_at     timestamptz NOT NULL,
    paused_at           timestamptz,
    remaining_seconds   bigint,                 -- working time left while paused
    supplement_count    integer NOT NULL DEFAULT 0,
    completed_at        timestamptz,
    sequence            integer NOT NULL,       -- number of the last event
    source_system       uuid NOT NULL REFERENCES upstream_systems (id),
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX dossiers_unit_path ON dossiers USING gin (unit_path);
CREATE INDEX dossiers_received ON dossiers (received_at, id);
CREATE INDEX dossiers_open_due ON dossiers (due_at) WHERE state IN
    ('received', 'in_progress', 'awaiting_supplement', 'paused');

-- The timeline. upstream_event_id makes every upstream event idempotent: a replay finds its
-- row and gets the original outcome back, and nothing new is written.
CREATE TABLE dossier_events (
    id                 bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    dossier_id         uuid NOT NULL REFERENCES dossiers (id),
    sequence           integer NOT NULL,
    source_system      uuid NOT NULL REFERENCES upstream_systems (id),
    upstream_event_id  text NOT NULL,
    event_id           text NOT NULL UNIQUE,    -- the CloudEvents id published
    transition         text NOT NULL,
    occurred_at        timestamptz NOT NULL,
    recorded_at        timestamptz NOT NULL DEFAULT now(),
    details            jsonb NOT NULL DEFAULT '{}',
    outcome            jsonb NOT NULL,          -- the response given, returned again on replay
    UNIQUE (source_system, upstream_event_id),
    UNIQUE (dossier_id, sequence)
);
