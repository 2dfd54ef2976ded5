-- The answers: one valid rating per dossier, whichever channel brought it, with who
-- entered it and whether staff stood by. An invalid paper form is kept too (its reason,
-- its serial) but counts apart: it neither uses the invitation nor blocks a valid rating.
-- Levels are the Decree's scores (2 Rất hài lòng, 1 Hài lòng, 0 Không hài lòng), one
-- column per criterion so reports sum them in SQL; NULL where not asked or left blank.
-- The comment is the citizen's own text: stored here, never in an event.
-- depends: 0003.invitation_details
CREATE TABLE ratings (
    id                    uuid        PRIMARY KEY,
    invitation_id         uuid        NOT NULL REFERENCES rating_invitations (id),
    dossier_id            uuid        NOT NULL,
    dossier_code          text        NOT NULL,
    unit_code             text        NOT NULL,
    unit_path             text[]      NOT NULL,
    procedure_code        text        NOT NULL,
    online                boolean     NOT NULL,
    channel               text        NOT NULL
        CHECK (channel IN ('web', 'kiosk', 'paper', 'phone', 'api')),
    entered_by            text        NOT NULL,
    staff_present         boolean     NOT NULL,
    valid                 boolean     NOT NULL,
    invalid_reason        text
        CHECK (invalid_reason IN ('unreadable', 'several_levels', 'unsigned', 'wrong_dossier')),
    paper_serial          text,
    processing_time       smallint    CHECK (processing_time BETWEEN 0 AND 2),
    agencies_contacted    smallint    CHECK (agencies_contacted BETWEEN 0 AND 2),
    visits                smallint    CHECK (visits BETWEEN 0 AND 2),
    procedure_information smallint    CHECK (procedure_information BETWEEN 0 AND 2),
    staff_conduct         smallint    CHECK (staff_conduct BETWEEN 0 AND 2),
    lawful_cost           smallint    CHECK (lawful_cost BETWEEN 0 AND 2),
    feedback_handling     smallint    CHECK (feedback_handling BETWEEN 0 AND 2),
    online_service        smallint    CHECK (online_service BETWEEN 0 AND 2),
    other                 smallint    CHECK (other BETWEEN 0 AND 2),
    overall               smallint    CHECK (overall BETWEEN 0 AND 2),
    comment               text        CHECK (char_length(comment) <= 2000),
    comment_is_complaint  boolean     NOT NULL DEFAULT false,
    submitted_at          timestamptz NOT NULL,
    CHECK (valid = (invalid_reason IS NULL)),
    CHECK (invalid_reason IS NULL OR channel = 'paper'),
    CHECK ((channel = 'paper') = (paper_serial IS NOT NULL)),
    CHECK (NOT valid OR overall IS NOT NULL),
    CHECK (online OR online_service IS NULL),
    CONSTRAINT ratings_paper_serial_unique UNIQUE (unit_code, paper_serial)
);

CREATE UNIQUE INDEX ratings_one_valid_per_dossier ON ratings (dossier_id) WHERE valid;
CREATE INDEX ratings_unit_path ON ratings USING gin (unit_path);
CREATE INDEX ratings_submitted_at ON ratings (submitted_at);

-- A follow-up of an unhappy answer: for the unit's head, due 15 working days after it
-- opened, closed with what was done; the citizen may then rate how it was handled.
CREATE TABLE rating_followups (
    id               uuid        PRIMARY KEY,
    rating_id        uuid        NOT NULL UNIQUE REFERENCES ratings (id),
    dossier_id       uuid        NOT NULL,
    dossier_code     text        NOT NULL,
    unit_code        text        NOT NULL,
    unit_path        text[]      NOT NULL,
    reasons          text[]      NOT NULL CHECK (cardinality(reasons) > 0),
    opened_at        timestamptz NOT NULL,
    due_at           timestamptz NOT NULL,
    closed_at        timestamptz,
    closed_by        text,
    action_taken     text        CHECK (char_length(action_taken) <= 2000),
    handling_level   smallint    CHECK (handling_level BETWEEN 0 AND 2),
    handling_rated_at timestamptz,
    CHECK ((closed_at IS NULL) = (closed_by IS NULL)),
    CHECK ((closed_at IS NULL) = (action_taken IS NULL)),
    CHECK ((handling_level IS NULL) = (handling_rated_at IS NULL)),
    CHECK (handling_level IS NULL OR closed_at IS NOT NULL)
);

CREATE INDEX rating_followups_unit_path ON rating_followups USING gin (unit_path);
CREATE INDEX rating_followups_open ON rating_followups (due_at) WHERE closed_at IS NULL;
