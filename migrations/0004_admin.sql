-- 0004_admin: the admin console's audit trail of roster changes, and where each
-- official's spoken prompt came from.
-- Forward only. The runner executes this file in one transaction.

-- Every change to the duty roster and to the calendar that decides routing (slots,
-- holidays, weekend days, duty window) leaves one row. user_id is not a foreign key:
-- the users table belongs to another migration, and the audit must outlive a deleted
-- account; username keeps the row readable after that.
CREATE TABLE roster_audit (
    id        bigserial PRIMARY KEY,
    at        timestamptz NOT NULL DEFAULT now(),
    user_id   int NULL,
    username  text NULL,
    center_id int NOT NULL REFERENCES centers (id),
    action    text NOT NULL CHECK (action IN (
        'slot_create', 'slot_move', 'slot_delete', 'slot_repeat', 'slot_import',
        'holiday_add', 'holiday_remove', 'holiday_rename',
        'weekend_set', 'duty_window_set')),
    before    jsonb NULL,
    after     jsonb NULL
);

CREATE INDEX roster_audit_center_at_idx ON roster_audit (center_id, at DESC);

-- 'generated' (espeak-ng from title and agency) or 'uploaded' (a human recording that
-- re-saving the official must not overwrite unless the title or agency changed).
ALTER TABLE officials ADD COLUMN prompt_source text NULL
    CONSTRAINT officials_prompt_source CHECK (prompt_source IN ('generated', 'uploaded'));
