-- Intake owns every dossier's due date: the apology letter's new appointment (once), and
-- the instant of the last recorded event, so a later command cannot happen before it.
-- depends: 0002.dossiers
ALTER TABLE dossiers ADD COLUMN rescheduled_due_at timestamptz;
ALTER TABLE dossiers ADD COLUMN last_event_at timestamptz;
UPDATE dossiers d SET last_event_at = coalesce(
    (SELECT max(e.occurred_at) FROM dossier_events e WHERE e.dossier_id = d.id), d.received_at);
ALTER TABLE dossiers ALTER COLUMN last_event_at SET NOT NULL;
COMMENT ON COLUMN dossiers.paused_at IS 'When the clock stopped (supplement awaited, or a pause that stops it); null while it runs';
COMMENT ON COLUMN dossiers.due_at IS 'The appointment in force: the legal one, or the apology letter''s new date';
