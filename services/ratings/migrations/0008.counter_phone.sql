-- The counter's phone entry and the invitation link's state.
-- Each time an officer unmasks a citizen's number to call them: who and when (the number
-- itself is asked from intake at render and never stored).
-- Each call's outcome other than a rating (no answer, refused to rate), and each call that
-- ended in one: counted apart from the ratings, never in their denominator.
-- When the citizen first opened the invitation's link (the messages page: not opened,
-- opened, used to rate).
-- depends: 0007.invitation_messages
CREATE TABLE phone_reveals (
    id            bigserial   PRIMARY KEY,
    invitation_id uuid        NOT NULL REFERENCES rating_invitations (id) ON DELETE CASCADE,
    officer       text        NOT NULL,
    revealed_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX phone_reveals_invitation ON phone_reveals (invitation_id, revealed_at);

CREATE TABLE phone_calls (
    id            bigserial   PRIMARY KEY,
    invitation_id uuid        NOT NULL REFERENCES rating_invitations (id) ON DELETE CASCADE,
    outcome       text        NOT NULL CHECK (outcome IN ('answered', 'unreachable', 'declined')),
    officer       text        NOT NULL,
    called_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX phone_calls_invitation ON phone_calls (invitation_id, called_at);

ALTER TABLE rating_invitations ADD COLUMN opened_at timestamptz;
