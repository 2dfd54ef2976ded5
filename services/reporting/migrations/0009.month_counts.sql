-- The leaders' page's twelve-month trend and its change from the previous period
-- (received, finished early, on time and late, valid and satisfied ratings) at a
-- province's scale: counts kept per unit path (as the event named it) and
-- month (Vietnam's time), changed by statement triggers on the facts they derive from —
-- in the same transaction as the facts, so they are exactly as durable and idempotent as
-- the facts (an upsert that changes no fact changes no count; a changed fact takes its
-- old row out and puts its new row in). A rebuild replays into a schema that has them.
-- Two tables, each changed by one statement per batch in key order, so two workers'
-- batches wait for each other but never deadlock.
-- depends: 0008.report_indexes
CREATE TABLE dossier_months (
    unit_path        text[] NOT NULL,
    month            date   NOT NULL,
    received         bigint NOT NULL,
    finished         bigint NOT NULL,
    finished_early   bigint NOT NULL,
    finished_on_time bigint NOT NULL,
    finished_late    bigint NOT NULL,
    PRIMARY KEY (unit_path, month)
);
CREATE TABLE rating_months (
    unit_path         text[] NOT NULL,
    month             date   NOT NULL,
    ratings_valid     bigint NOT NULL,
    ratings_satisfied bigint NOT NULL,
    PRIMARY KEY (unit_path, month)
);

CREATE FUNCTION local_month(instant timestamptz) RETURNS date
LANGUAGE sql IMMUTABLE AS $$
    SELECT date_trunc('month', instant AT TIME ZONE 'Asia/Ho_Chi_Minh')::date
$$;

-- Adds the facts ``added`` and takes out ``removed`` (their counts before a change).
CREATE FUNCTION add_dossier_months(added dossiers[], removed dossiers[]) RETURNS void
LANGUAGE sql AS $$
    INSERT INTO dossier_months AS m (unit_path, month, received, finished, finished_early,
        finished_on_time, finished_late)
    SELECT c.unit_path, v.month, sum(v.received), sum(v.finished), sum(v.finished_early),
        sum(v.finished_on_time), sum(v.finished_late)
    FROM (
        SELECT 1 AS sign, a.unit_path, a.received_at, a.finished_at, a.legal_finish
        FROM unnest(added) a
        UNION ALL
        SELECT -1, r.unit_path, r.received_at, r.finished_at, r.legal_finish
        FROM unnest(removed) r
    ) c
    CROSS JOIN LATERAL (VALUES
        (local_month(c.received_at), c.sign, 0, 0, 0, 0),
        (local_month(c.finished_at), 0, c.sign,
         CASE WHEN c.legal_finish = 'early' THEN c.sign ELSE 0 END,
         CASE WHEN c.legal_finish = 'on_time' THEN c.sign ELSE 0 END,
         CASE WHEN c.legal_finish = 'late' THEN c.sign ELSE 0 END)
    ) v (month, received, finished, finished_early, finished_on_time, finished_late)
    WHERE v.month IS NOT NULL
    GROUP BY c.unit_path, v.month
    HAVING sum(v.received) <> 0 OR sum(v.finished) <> 0 OR sum(v.finished_early) <> 0
        OR sum(v.finished_on_time) <> 0 OR sum(v.finished_late) <> 0
    ORDER BY c.unit_path, v.month
    ON CONFLICT (unit_path, month) DO UPDATE SET
        received = m.received + EXCLUDED.received,
        finished = m.finished + EXCLUDED.finished,
        finished_early = m.finished_early + EXCLUDED.finished_early,
        finished_on_time = m.finished_on_time + EXCLUDED.finished_on_time,
        finished_late = m.finished_late + EXCLUDED.finished_late
$$;

CREATE FUNCTION add_rating_months(added ratings[], removed ratings[]) RETURNS void
LANGUAGE sql AS $$
    INSERT INTO rating_months AS m (unit_path, month, ratings_valid, ratings_satisfied)
    SELECT c.unit_path, local_month(c.submitted_at), sum(c.sign),
        coalesce(sum(c.sign) FILTER (WHERE c.overall IN ('very_satisfied', 'satisfied')), 0)
    FROM (
        SELECT 1 AS sign, a.unit_path, a.submitted_at, a.overall
        FROM unnest(added) a WHERE a.valid
        UNION ALL
        SELECT -1, r.unit_path, r.submitted_at, r.overall
        FROM unnest(removed) r WHERE r.valid
    ) c
    GROUP BY c.unit_path, local_month(c.submitted_at)
    HAVING sum(c.sign) <> 0
        OR sum(c.sign) FILTER (WHERE c.overall IN ('very_satisfied', 'satisfied')) <> 0
    ORDER BY c.unit_path, local_month(c.submitted_at)
    ON CONFLICT (unit_path, month) DO UPDATE SET
        ratings_valid = m.ratings_valid + EXCLUDED.ratings_valid,
        ratings_satisfied = m.ratings_satisfied + EXCLUDED.ratings_satisfied
$$;

CREATE FUNCTION count_dossier_months() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM add_dossier_months(ARRAY(SELECT n::dossiers FROM new_rows n), '{}');
    ELSIF TG_OP = 'UPDATE' THEN
        PERFORM add_dossier_months(
            ARRAY(SELECT n::dossiers FROM new_rows n), ARRAY(SELECT o::dossiers FROM old_rows o));
    ELSE
        PERFORM add_dossier_months('{}', ARRAY(SELECT o::dossiers FROM old_rows o));
    END IF;
    RETURN NULL;
END
$$;

CREATE FUNCTION count_rating_months() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM add_rating_months(ARRAY(SELECT n::ratings FROM new_rows n), '{}');
    ELSIF TG_OP = 'UPDATE' THEN
        PERFORM add_rating_months(
            ARRAY(SELECT n::ratings FROM new_rows n), ARRAY(SELECT o::ratings FROM old_rows o));
    ELSE
        PERFORM add_rating_months('{}', ARRAY(SELECT o::ratings FROM old_rows o));
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER dossiers_inserted_months AFTER INSERT ON dossiers
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION count_dossier_months();
CREATE TRIGGER dossiers_updated_months AFTER UPDATE ON dossiers
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION count_dossier_months();
CREATE TRIGGER dossiers_deleted_months AFTER DELETE ON dossiers
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION count_dossier_months();
CREATE TRIGGER ratings_inserted_months AFTER INSERT ON ratings
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION count_rating_months();
CREATE TRIGGER ratings_updated_months AFTER UPDATE ON ratings
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION count_rating_months();
CREATE TRIGGER ratings_deleted_months AFTER DELETE ON ratings
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION count_rating_months();

-- The facts already projected, a month of receipts (or submissions) at a time.
DO $$
BEGIN
    PERFORM add_dossier_months(array_agg(d), '{}') FROM dossiers d
        GROUP BY local_month(d.received_at);
    PERFORM add_rating_months(array_agg(r), '{}') FROM ratings r
        GROUP BY local_month(r.submitted_at);
END
$$;
