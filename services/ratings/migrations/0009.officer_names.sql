-- The display name of the officer who entered an answer (kiosk, paper, phone) or closed a
-- follow-up, as their sign-in token's "name" claim carried it, so the staff pages name a
-- person rather than a login. Rows from before keep NULL: the pages show their login.
-- depends: 0008.counter_phone
ALTER TABLE ratings ADD COLUMN entered_by_name text;
ALTER TABLE rating_followups ADD COLUMN closed_by_name text;
