-- depends: 0012.latest_issued_letter
-- "Not reached in time" on the board: the dossier's latest issued letter, its apology
-- deadline and when a notice first reached the citizen (delivered, or handed to the post),
-- kept on the board's row like letter_status (0006), so the count over a city's 100,000
-- rows reads watched_dossiers alone instead of probing letters and notices per row.
-- Triggers keep the three columns, whoever writes letters, notices or the board's rows.
ALTER TABLE watched_dossiers
    ADD COLUMN issued_letter_id bigint,
    ADD COLUMN issued_letter_deadline timestamptz,
    ADD COLUMN issued_letter_reached_at timestamptz;

CREATE FUNCTION letter_reached_at(letter bigint) RETURNS timestamptz
LANGUAGE sql STABLE AS $$
    SELECT min(CASE WHEN n.state = 'delivered' THEN coalesce(n.delivered_at, n.updated_at)
                    ELSE n.sent_at END)
    FROM letter_notices n WHERE n.letter_id = letter AND n.state IN ('delivered', 'posted')
$$;

CREATE FUNCTION refresh_issued_letter_on_board(dossier uuid) RETURNS void
LANGUAGE sql AS $$
    UPDATE watched_dossiers w
    SET issued_letter_id = l.id, issued_letter_deadline = l.apology_deadline,
        issued_letter_reached_at = letter_reached_at(l.id)
    FROM (SELECT id, apology_deadline FROM apology_letters
          WHERE dossier_id = dossier AND status = 'issued'
          ORDER BY episode DESC LIMIT 1) l
    WHERE w.dossier_id = dossier
      AND (w.issued_letter_id, w.issued_letter_deadline, w.issued_letter_reached_at)
          IS DISTINCT FROM (l.id, l.apology_deadline, letter_reached_at(l.id))
$$;

CREATE FUNCTION apology_letters_reach_to_board() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.status = 'issued' THEN
        PERFORM refresh_issued_letter_on_board(NEW.dossier_id);
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER apology_letters_reach_to_board AFTER INSERT OR UPDATE OF status, apology_deadline
    ON apology_letters FOR EACH ROW EXECUTE FUNCTION apology_letters_reach_to_board();

CREATE FUNCTION letter_notices_reach_to_board() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.state IN ('delivered', 'posted') THEN
        PERFORM refresh_issued_letter_on_board(
            (SELECT dossier_id FROM apology_letters WHERE id = NEW.letter_id));
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER letter_notices_reach_to_board
    AFTER INSERT OR UPDATE OF state, delivered_at, sent_at
    ON letter_notices FOR EACH ROW EXECUTE FUNCTION letter_notices_reach_to_board();

CREATE FUNCTION watched_dossiers_issued_letter() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    SELECT l.id, l.apology_deadline, letter_reached_at(l.id)
        INTO NEW.issued_letter_id, NEW.issued_letter_deadline, NEW.issued_letter_reached_at
        FROM apology_letters l
        WHERE l.dossier_id = NEW.dossier_id AND l.status = 'issued'
        ORDER BY l.episode DESC LIMIT 1;
    RETURN NEW;
END
$$;
CREATE TRIGGER watched_dossiers_issued_letter BEFORE INSERT
    ON watched_dossiers FOR EACH ROW EXECUTE FUNCTION watched_dossiers_issued_letter();

UPDATE watched_dossiers w
SET issued_letter_id = l.id, issued_letter_deadline = l.apology_deadline,
    issued_letter_reached_at = letter_reached_at(l.id)
FROM (SELECT DISTINCT ON (dossier_id) dossier_id, id, apology_deadline FROM apology_letters
      WHERE status = 'issued' ORDER BY dossier_id, episode DESC) l
WHERE l.dossier_id = w.dossier_id;
