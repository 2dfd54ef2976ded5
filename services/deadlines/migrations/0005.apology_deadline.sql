-- When each letter was due (one working day before the due date by default), so letters
-- issued after it can be counted per unit beside "late without a letter".
-- depends: 0004.board_stopped_clocks
ALTER TABLE apology_letters ADD COLUMN apology_deadline timestamptz;
