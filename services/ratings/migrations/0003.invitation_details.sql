-- What an invitation needs to be sent, answered and counted, without any personal data:
-- the dossier's public identifiers, where it was handled, whether it was an online
-- dossier (criterion 8 is asked only then), why it was invited (a result returned or a
-- refusal), and how the citizen wants to be contacted. The phone number or address is
-- asked from intake at send time and never stored here.
-- depends: 0001.rating_invitations outbox.0001.table
ALTER TABLE rating_invitations
    ADD COLUMN dossier_code       text    NOT NULL,
    ADD COLUMN unit_code          text    NOT NULL,
    ADD COLUMN unit_path          text[]  NOT NULL,
    ADD COLUMN procedure_code     text    NOT NULL,
    ADD COLUMN online             boolean NOT NULL,
    ADD COLUMN outcome            text    NOT NULL CHECK (outcome IN ('returned', 'rejected')),
    ADD COLUMN contact_preference text    NOT NULL
        CHECK (contact_preference IN ('sms', 'email', 'zalo', 'phone', 'post', 'none')),
    ADD COLUMN channel            text    NOT NULL CHECK (channel IN ('sms', 'email', 'zalo', 'qr'));

CREATE INDEX rating_invitations_unit_path ON rating_invitations USING gin (unit_path);
CREATE INDEX rating_invitations_dossier_code ON rating_invitations (dossier_code);
