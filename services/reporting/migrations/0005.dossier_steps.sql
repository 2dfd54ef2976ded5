-- Each lifecycle event a dossier's fact took, one row per event (its sequence): the
-- timeline of the leaders' dossier page. What it was (the event type without its prefix),
-- when, and what a leader reads beside it — the channel, the handler's opaque reference,
-- the outcome; no personal data. Inserted once by its key, so a batch applied twice
-- changes nothing. Dossiers projected before this table have none until a rebuild; their
-- page falls back to the dossier's own columns.
CREATE TABLE dossier_steps (
    dossier_id uuid        NOT NULL,
    sequence   integer     NOT NULL,
    step       text        NOT NULL,
    at         timestamptz NOT NULL,
    detail     text,
    PRIMARY KEY (dossier_id, sequence)
);
