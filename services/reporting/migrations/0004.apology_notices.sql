-- Where each notice of an apology letter stands on its channel, as deadlines publishes it on
-- motcua.apology-deliveries: one row per notice (message id) of a letter version, keeping
-- its latest state. A final state (delivered, failed_permanent, posted) never changes, and
-- an older state never overwrites a newer one. reached_in_time: the notice was sent (or
-- posted) by the letter's apology deadline and has not failed. The dossier's unit and
-- procedure are its fact's (a transfer moves it), so they are not repeated here.
CREATE TABLE apology_notices (
    dossier_id       uuid        NOT NULL,
    episode          integer     NOT NULL,
    letter_version   integer     NOT NULL,
    message_id       uuid        NOT NULL,
    channel          text        NOT NULL,
    state            text        NOT NULL,
    reason           text,
    sent_at          timestamptz,
    apology_deadline timestamptz NOT NULL,
    occurred_at      timestamptz NOT NULL,
    reached_in_time  boolean     NOT NULL,
    PRIMARY KEY (dossier_id, episode, letter_version, message_id)
);
