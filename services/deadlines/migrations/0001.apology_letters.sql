-- Apology letters (Mẫu 04). One letter per dossier per lateness episode; a correction is a
-- new version of the same letter, never a second letter.
CREATE TABLE apology_letters (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    dossier_id     uuid        NOT NULL,
    episode        integer     NOT NULL CHECK (episode >= 1),
    letter_number  text        NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    UNIQUE (dossier_id, episode)
);
