-- A watched dossier whose clock stopped (supplement awaited, paused) or restarted from zero
-- is not due now: it leaves the board until its clock alerts again.
-- depends: 0003.board_and_letter_versions
ALTER TABLE watched_dossiers DROP CONSTRAINT watched_dossiers_status_check;
ALTER TABLE watched_dossiers ADD CONSTRAINT watched_dossiers_status_check
    CHECK (status IN ('due_soon', 'overdue', 'rescheduled', 'stopped', 'closed'));
