-- The channels a letter version's notices may go out on, in order (the citizen's
-- preference first when they have the contact for it, then SMS → Zalo → post), fixed by
-- the sender from intake's answer when it takes the first notice and copied to each
-- notice that falls back: a receipt's permanent failure picks the next channel from it
-- without asking intake. Channel names only, never a contact.
-- depends: 0009.letter_notices
ALTER TABLE letter_notices ADD COLUMN channel_plan text[];
