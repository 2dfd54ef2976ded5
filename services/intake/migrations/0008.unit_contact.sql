-- depends: 0007.counter_limit
-- What the pages and letters say about a unit besides its name: the title its head signs
-- with (chức vụ of the signer, Nghị định 30/2020) and the public number citizens may call
-- about a dossier (seed 000: leaders' numbers are made public for exactly this).
ALTER TABLE units ADD COLUMN head_title text, ADD COLUMN public_phone text;
