-- depends: 0009.audit
-- Applicants' personal data over its life (docs/personal-data.md). An anonymised row keeps
-- its reference (events and dossiers point to it) and loses every personal field; a
-- restricted one is marked at the person's request.
ALTER TABLE applicants ADD COLUMN anonymised_at timestamptz, ADD COLUMN restricted_at timestamptz;
CREATE INDEX applicants_id_number ON applicants (id_number) WHERE id_number IS NOT NULL;
CREATE INDEX dossiers_applicant ON dossiers (applicant_ref);

-- A legal hold keeps a person's data past retention (an inspection, a complaint, a court
-- case). The person is named only by a keyed hash of their ID number (SUBJECT_HASH_KEY).
CREATE TABLE legal_holds (
    id            uuid PRIMARY KEY,
    subject_hash  bytea NOT NULL,
    reason        text NOT NULL CHECK (reason <> ''),
    set_by        text NOT NULL,
    set_at        timestamptz NOT NULL DEFAULT now(),
    lifted_by     text,
    lifted_at     timestamptz,
    lift_reason   text
);
CREATE INDEX legal_holds_in_force ON legal_holds (subject_hash) WHERE lifted_at IS NULL;

-- Each data-subject request and the answer given (Luật 91/2025/QH15 Điều 4), the person
-- again only as a keyed hash: the log itself holds no personal data.
CREATE TABLE subject_requests (
    id            uuid PRIMARY KEY,
    kind          text NOT NULL CHECK (kind IN ('access', 'correct', 'erase', 'restrict')),
    at            timestamptz NOT NULL DEFAULT now(),
    requested_by  text NOT NULL,
    subject_hash  bytea NOT NULL,
    outcome       text NOT NULL CHECK (outcome IN ('ok', 'refused')),
    reason        text NOT NULL DEFAULT '',
    details       jsonb NOT NULL DEFAULT '{}'
);
