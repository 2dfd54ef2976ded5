-- What each officer does (motcua.identity.Role): the sign-in token carries these roles to
-- every service, whose pages show and allow according to them.
-- depends: 0005.apology_deadline
ALTER TABLE officers ADD COLUMN roles text[] NOT NULL DEFAULT ARRAY['duty_officer']
    CHECK (cardinality(roles) > 0
           AND roles <@ ARRAY['duty_officer', 'unit_head', 'leader', 'staff_entry']);
