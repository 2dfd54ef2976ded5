-- The board for a city: pages in the board's order (due date, dossier code, id) read from
-- an index from any cursor on, whatever the depth, and the counts above the board read
-- from watched_dossiers alone.
-- depends: 0005.apology_deadline

-- The board's order, with and without a status picked (due-soon rows all come after the
-- overdue ones, so an index led by the due date alone would first skip every overdue row).
CREATE INDEX watched_dossiers_board_order ON watched_dossiers (due_at, dossier_code, dossier_id)
    WHERE status IN ('due_soon', 'overdue');
CREATE INDEX watched_dossiers_board_status_order
    ON watched_dossiers (status, due_at, dossier_code, dossier_id)
    WHERE status IN ('due_soon', 'overdue');
CREATE INDEX watched_dossiers_board_code ON watched_dossiers (dossier_code)
    WHERE status IN ('due_soon', 'overdue');

-- The status of the letter of the dossier's current episode (draft, issued, or none), kept
-- on the board's row so "letters to issue" is counted over a city's 100,000 rows without
-- joining every letter. Triggers keep it, whoever writes either table.
ALTER TABLE watched_dossiers ADD COLUMN letter_status text;
UPDATE watched_dossiers w SET letter_status = l.status FROM apology_letters l
    WHERE l.dossier_id = w.dossier_id AND l.episode = w.episode;

CREATE FUNCTION watched_dossiers_letter_status() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.letter_status := (SELECT l.status FROM apology_letters l
                          WHERE l.dossier_id = NEW.dossier_id AND l.episode = NEW.episode);
    RETURN NEW;
END
$$;
CREATE TRIGGER watched_dossiers_letter_status BEFORE INSERT OR UPDATE OF episode
    ON watched_dossiers FOR EACH ROW EXECUTE FUNCTION watched_dossiers_letter_status();

CREATE FUNCTION apology_letters_to_board() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE watched_dossiers SET letter_status = NEW.status
        WHERE dossier_id = NEW.dossier_id AND episode = NEW.episode
        AND letter_status IS DISTINCT FROM NEW.status;
    RETURN NULL;
END
$$;
CREATE TRIGGER apology_letters_to_board AFTER INSERT OR UPDATE OF status, episode
    ON apology_letters FOR EACH ROW EXECUTE FUNCTION apology_letters_to_board();
