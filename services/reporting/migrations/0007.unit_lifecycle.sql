-- Units change: a merger retires a unit and names its successor (intake's GET /v1/units).
-- today_path is where the unit's figures are carried in today's tree (its final
-- successor's path), computed once per catalogue refresh; reports read either the fact's
-- own unit_path (tree=then) or its unit's today_path (tree=today).
-- depends: 0006.audit
ALTER TABLE units
    ADD COLUMN successor  text,
    ADD COLUMN retired_on date,
    ADD COLUMN today_path text[];
UPDATE units SET today_path = unit_path;
ALTER TABLE units ALTER COLUMN today_path SET NOT NULL;
CREATE INDEX units_today_path ON units USING gin (today_path);
