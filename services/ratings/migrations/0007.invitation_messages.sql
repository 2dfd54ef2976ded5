-- Each message of an invitation's delivery (the invitation, its reminder, the follow-up's
-- notice) and what became of it: queued just before its channel takes it, sent once the
-- provider accepted it, then delivered or failed (temporarily or for good, with the
-- provider's reason) when its receipt comes (POST /v1/delivery-receipts/<channel>). Its
-- id is the reference the channel was given, so the receipt names it; one row per kind,
-- so a message sent twice after a crashed sender is the same message.
-- depends: 0006.followup_notice
CREATE TABLE invitation_messages (
    id            uuid        PRIMARY KEY,
    invitation_id uuid        NOT NULL REFERENCES rating_invitations (id) ON DELETE CASCADE,
    kind          text        NOT NULL CHECK (kind IN ('invite', 'reminder', 'followup')),
    channel       text        NOT NULL CHECK (channel IN ('sms', 'email', 'zalo')),
    state         text        NOT NULL DEFAULT 'queued' CHECK (state IN (
                      'queued', 'sent', 'delivered', 'failed_temporary', 'failed_permanent')),
    reason        text,
    queued_at     timestamptz NOT NULL DEFAULT now(),
    sent_at       timestamptz,
    delivered_at  timestamptz,
    failed_at     timestamptz,
    UNIQUE (invitation_id, kind)
);

-- A recorded message names its message, and so its state (older rows do not).
ALTER TABLE recorded_messages
    ADD COLUMN message_id uuid REFERENCES invitation_messages (id) ON DELETE CASCADE;
CREATE INDEX recorded_messages_message ON recorded_messages (message_id);
