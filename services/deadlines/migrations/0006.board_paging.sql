-- The board for a city: pages in the board's order (due date, dossier code, id) read from
-- an index from any cursor on, whatever the depth.
-- depends: 0005.apology_deadline
CREATE INDEX watched_dossiers_board_order ON watched_dossiers (due_at, dossier_code, dossier_id)
    WHERE status IN ('due_soon', 'overdue');
