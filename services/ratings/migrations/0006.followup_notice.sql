-- Telling the citizen a follow-up of their unhappy answer was closed, the way they asked
-- to be contacted, with the link that lets them rate how it was handled: a third message
-- of the invitation's delivery (after the invitation and the reminder). The sealed token
-- is kept while a follow-up is open and until that notice went out.
-- depends: 0004.ratings 0005.invitation_delivery
ALTER TABLE invitation_deliveries
    ADD COLUMN notice_status  text CHECK (notice_status IN ('pending', 'sent', 'given_up', 'not_needed')),
    ADD COLUMN notice_sent_at timestamptz;

ALTER TABLE recorded_messages DROP CONSTRAINT recorded_messages_kind_check;
ALTER TABLE recorded_messages ADD CONSTRAINT recorded_messages_kind_check
    CHECK (kind IN ('invite', 'reminder', 'followup'));
