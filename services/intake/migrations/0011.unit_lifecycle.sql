-- depends: 0010.personal_data
-- Units change: a merger or a rename retires a unit and names the unit that carries on its
-- work (docs/units.md). A retired unit stays in the tree, because its dossiers keep the unit
-- that received them; reports roll its figures up to its successor when asked to.
ALTER TABLE units
    ADD COLUMN successor_code text REFERENCES units (code) DEFERRABLE INITIALLY DEFERRED,
    ADD COLUMN retired_on date,
    ADD CONSTRAINT units_successor_is_another CHECK (successor_code IS DISTINCT FROM code),
    ADD CONSTRAINT units_successor_only_when_retired
        CHECK (successor_code IS NULL OR retired_on IS NOT NULL);
CREATE INDEX units_successor ON units (successor_code) WHERE successor_code IS NOT NULL;
CREATE INDEX units_current_by_code ON units (code) WHERE retired_on IS NULL;
