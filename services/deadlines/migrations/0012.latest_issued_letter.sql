-- depends: 0011.late_expected
-- The board's "not reached in time" count asks, for every dossier of the officer's view,
-- for its latest issued letter. On the (dossier_id, episode) key each probe read the
-- draft's row to learn it was not issued; an index of issued letters alone answers a
-- dossier without one from the index. 800 ms → see docs/deadlines.md (bench board).
CREATE INDEX apology_letters_latest_issued ON apology_letters (dossier_id, episode DESC)
    WHERE status = 'issued';
