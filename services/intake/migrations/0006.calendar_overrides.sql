-- depends: 0002.dossiers
-- Working-calendar announcements (days off, Saturdays worked) the holidays package does
-- not know yet: the system of record. One row per date; a withdrawal keeps the row (with
-- withdrawn_at) so the revision keeps counting and the history of the date stays.
CREATE TABLE calendar_overrides (
    day           date PRIMARY KEY,
    kind          text NOT NULL CHECK (kind IN ('day_off', 'working_day')),
    legal_basis   text NOT NULL CHECK (legal_basis <> ''),
    note          text NOT NULL DEFAULT '',
    revision      integer NOT NULL DEFAULT 1 CHECK (revision >= 1),
    recorded_by   uuid NOT NULL REFERENCES upstream_systems (id),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    withdrawn_at  timestamptz
);
