-- 0022_admin_audit: login attempt indexes for throttling; changes to officials, agencies, users and SMS templates are audited
-- (who, when, before/after) by triggers, so no write path can forget it; the audit trail
-- is append-only like request_history (0009).
-- Forward only. The runner executes this file in one transaction.

-- Login throttling (storage/accounts.py) counts failures per username and looks up the
-- last success per username and address; neither may scan the throttled attempts an
-- attacker piles up.
CREATE INDEX login_attempts_user_failure_idx ON login_attempts (username, attempted_at)
    WHERE outcome = 'failure';
CREATE INDEX login_attempts_user_success_idx
    ON login_attempts (username, client_ip, attempted_at) WHERE outcome = 'success';

-- SMS templates and national users belong to no center.
ALTER TABLE roster_audit ALTER COLUMN center_id DROP NOT NULL;

ALTER TABLE roster_audit DROP CONSTRAINT roster_audit_action_check;
ALTER TABLE roster_audit ADD CONSTRAINT roster_audit_action_check CHECK (action IN (
    'slot_create', 'slot_move', 'slot_delete', 'slot_repeat', 'slot_import',
    'holiday_add', 'holiday_remove', 'holiday_rename',
    'weekend_set', 'duty_window_set',
    'official_create', 'official_update', 'official_delete',
    'agency_create', 'agency_update', 'agency_delete',
    'user_create', 'user_update', 'user_delete',
    'sms_template_create', 'sms_template_update', 'sms_template_delete'));

CREATE INDEX roster_audit_national_at_idx ON roster_audit (at DESC) WHERE center_id IS NULL;

-- A row as the audit keeps it: never a password hash, secret or token.
CREATE FUNCTION samad_audit_row(row_value jsonb) RETURNS jsonb LANGUAGE sql IMMUTABLE AS $$
    SELECT coalesce(jsonb_object_agg(key, value), '{}'::jsonb)
    FROM jsonb_each(row_value)
    WHERE key !~ '(password|secret|hash|token)'
$$;

-- The actor comes from transaction-local settings the application sets
-- (storage/audit_actor.py); a change made outside the application (psql, a job) is
-- still recorded, with no user.
CREATE FUNCTION samad_audit_change() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    old_row jsonb := CASE WHEN TG_OP = 'INSERT' THEN NULL ELSE samad_audit_row(to_jsonb(OLD)) END;
    new_row jsonb := CASE WHEN TG_OP = 'DELETE' THEN NULL ELSE samad_audit_row(to_jsonb(NEW)) END;
    before_value jsonb := old_row;
    after_value jsonb := new_row;
    center int;
BEGIN
    IF TG_OP = 'UPDATE' THEN
        -- Only what changed, on both sides; an update that changed nothing is no event.
        SELECT jsonb_object_agg(o.key, o.value), jsonb_object_agg(o.key, n.value)
          INTO before_value, after_value
          FROM jsonb_each(old_row) o JOIN jsonb_each(new_row) n USING (key)
         WHERE o.value IS DISTINCT FROM n.value;
        IF before_value IS NULL THEN
            RETURN NULL;
        END IF;
    END IF;
    center := nullif(coalesce(new_row, old_row) ->> 'center_id', '')::int;
    INSERT INTO roster_audit (user_id, username, center_id, action, before, after)
    VALUES (
        nullif(current_setting('samad.actor_id', true), '')::int,
        nullif(current_setting('samad.actor_name', true), ''),
        center,
        TG_ARGV[0] || '_' || CASE TG_OP WHEN 'INSERT' THEN 'create'
                                        WHEN 'UPDATE' THEN 'update' ELSE 'delete' END,
        before_value,
        after_value);
    RETURN NULL;
END
$$;

CREATE TRIGGER officials_audited AFTER INSERT OR UPDATE OR DELETE ON officials
    FOR EACH ROW EXECUTE FUNCTION samad_audit_change('official');
CREATE TRIGGER agencies_audited AFTER INSERT OR UPDATE OR DELETE ON agencies
    FOR EACH ROW EXECUTE FUNCTION samad_audit_change('agency');
CREATE TRIGGER users_audited AFTER INSERT OR UPDATE OR DELETE ON users
    FOR EACH ROW EXECUTE FUNCTION samad_audit_change('user');
CREATE TRIGGER sms_templates_audited AFTER INSERT OR UPDATE OR DELETE ON sms_templates
    FOR EACH ROW EXECUTE FUNCTION samad_audit_change('sms_template');

CREATE TRIGGER roster_audit_append_only BEFORE UPDATE OR DELETE ON roster_audit
    FOR EACH ROW EXECUTE FUNCTION samad_refuse_change();
CREATE TRIGGER roster_audit_never_truncated BEFORE TRUNCATE ON roster_audit
    FOR EACH STATEMENT EXECUTE FUNCTION samad_refuse_change();
