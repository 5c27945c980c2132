-- 0026_several_desks: a center can have several officials on duty at once.
--
-- 0001 allowed one desk per center (no two slots of a center overlapped).  Busy hours
-- need the governor and deputies, or several desks, answering together: slots of
-- different officials may overlap; the same official still cannot be in two slots at
-- once (half-open ranges, so back-to-back slots are allowed).  Every existing row
-- satisfies the new rule (it is weaker), so they are all kept.

ALTER TABLE duty_slots DROP CONSTRAINT duty_slots_no_overlap;
ALTER TABLE duty_slots ADD CONSTRAINT duty_slots_no_overlap
    EXCLUDE USING gist (official_id WITH =, tstzrange(starts_at, ends_at) WITH &&);

-- The roster is read per center and time: keep that lookup fast without the old index.
CREATE INDEX IF NOT EXISTS duty_slots_center_time_idx ON duty_slots (center_id, starts_at);
