-- A due-soon dossier the duty officer expects to be late ("Sẽ trễ hạn"): its apology letter
-- is owed from then on (Nghị định 61/2018 Điều 19 khoản 9: at least one working day before
-- the due date), so it counts among the letters to issue. Who marked it and when, on the
-- board's row (the counts read watched_dossiers alone); the mark holds for the episode it
-- was given for. Every mark and undo is kept in late_expected_log.
-- depends: 0010.notice_channel_plan
ALTER TABLE watched_dossiers
    ADD COLUMN late_expected_by text REFERENCES officers (username),
    ADD COLUMN late_expected_at timestamptz;

CREATE TABLE late_expected_log (
    id          bigserial PRIMARY KEY,
    dossier_id  uuid NOT NULL,
    episode     int NOT NULL,
    expected    boolean NOT NULL,          -- true: marked; false: the mark was undone
    officer     text NOT NULL REFERENCES officers (username),
    at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX late_expected_log_dossier ON late_expected_log (dossier_id, at);

-- The board's search by dossier code, whole or its beginning (LIKE 'prefix%'), from an index
-- whatever the database's collation.
CREATE INDEX watched_dossiers_board_code_prefix ON watched_dossiers (dossier_code text_pattern_ops);

-- The issued letters' list (/board/letters): a unit's letters of a month, newest first.
CREATE INDEX apology_letters_issued_at ON apology_letters (issued_at) WHERE status = 'issued';
