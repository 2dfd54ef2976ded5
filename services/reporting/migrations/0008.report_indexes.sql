-- A province's reports over years of history (1,000,000 dossiers) in well under a second:
-- every instant that places a fact in a period has an index, the "in progress" snapshot
-- reads the dossiers closed after it (measures.CLOSED_AT: few, for any snapshot), and the
-- drill-down's roll-up reads each fact's unit (its path's last element).
-- depends: 0007.unit_lifecycle
CREATE INDEX dossiers_ended_at ON dossiers (ended_at) WHERE ended_at IS NOT NULL;
CREATE INDEX dossiers_returned_at ON dossiers (returned_at) WHERE returned_at IS NOT NULL;
CREATE INDEX dossiers_closed_at
    ON dossiers ((coalesce(least(finished_at, ended_at), 'infinity')), received_at);
CREATE INDEX apologies_issued_at ON apologies (issued_at);
CREATE INDEX invitations_invited_at ON invitations (invited_at);
CREATE INDEX ratings_submitted_at ON ratings (submitted_at);
CREATE INDEX followups_opened_at ON followups (opened_at);
-- The reports are many short statements whose plans cost enough for PostgreSQL to compile
-- them to machine code, which takes longer (tens of ms each, measured) than running them.
ALTER ROLE CURRENT_USER SET jit = off;
