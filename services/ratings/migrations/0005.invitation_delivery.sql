-- Delivering invitations: one row per invitation says where its message stands (pending,
-- sent, QR only, given up with the last error), when the sender looks at it next (the
-- invitation, a retry after quiet hours or an unreachable intake, the reminder), and
-- holds the token sealed (AES-GCM under RATINGS_TOKEN_KEY) for as long as a message or
-- the hand-over slip's QR code still needs the link. rating_invitations keeps the hash
-- only: a dump of this schema without the key lets no one rate.
-- depends: 0003.invitation_details
CREATE TABLE invitation_deliveries (
    invitation_id    uuid        PRIMARY KEY REFERENCES rating_invitations (id) ON DELETE CASCADE,
    status           text        NOT NULL CHECK (status IN ('pending', 'sent', 'qr_only', 'given_up')),
    attempts         integer     NOT NULL DEFAULT 0,
    last_error       text,
    next_attempt_at  timestamptz,
    sent_at          timestamptz,
    reminder_due_at  timestamptz,
    reminder_status  text        CHECK (reminder_status IN ('sent', 'given_up', 'not_needed')),
    reminder_sent_at timestamptz,
    token_sealed     bytea,
    updated_at       timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX invitation_deliveries_due ON invitation_deliveries (next_attempt_at)
    WHERE next_attempt_at IS NOT NULL;
CREATE INDEX invitation_deliveries_given_up ON invitation_deliveries (invitation_id)
    WHERE status = 'given_up' OR reminder_status = 'given_up';
CREATE INDEX invitation_deliveries_sealed ON invitation_deliveries (invitation_id)
    WHERE token_sealed IS NOT NULL;

-- What the recording channel (local stack, tests) would have sent: the text and its link,
-- so a person trying the demo can follow one and rate. Never the phone number or the
-- address: the destination is kept masked (09******78), as a staff page may show it.
CREATE TABLE recorded_messages (
    id                 bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    invitation_id      uuid        NOT NULL REFERENCES rating_invitations (id) ON DELETE CASCADE,
    channel            text        NOT NULL CHECK (channel IN ('sms', 'email', 'zalo')),
    kind               text        NOT NULL CHECK (kind IN ('invite', 'reminder')),
    destination_masked text,
    subject            text,
    link               text        NOT NULL,
    body               text        NOT NULL,
    recorded_at        timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX recorded_messages_invitation ON recorded_messages (invitation_id);
