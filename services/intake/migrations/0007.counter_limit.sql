-- depends: 0006.calendar_overrides
-- The national code has four digits for the daily sequence. Receipts are numbered by the
-- statement that writes them (the counter is advanced and read in SQL), so the limit is
-- the table's: a receipt past 9,999 aborts its transaction, and the caller refuses it.
ALTER TABLE dossier_code_counters
    ADD CONSTRAINT dossier_code_counters_last_check CHECK (last BETWEEN 0 AND 9999);
