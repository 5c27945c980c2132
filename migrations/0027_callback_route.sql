-- 0027_callback_route: a callback to a caller who chose not to wait is a call of its own kind.
--
-- Issue 13's callbacks (the desk's conversation with a caller who pressed 1 in the queue)
-- are stored as calls rows with route 'callback', like the satisfaction callbacks of 0025,
-- so the service-level numbers (samad_ivr/storage/service_level.py) count "callbacks made
-- and reached" from the call rows themselves and keep them out of the inbound calls.

ALTER TABLE calls DROP CONSTRAINT calls_route_check;
ALTER TABLE calls ADD CONSTRAINT calls_route_check
    CHECK (route IN ('desk', 'deputy', 'queue', 'closed', 'fallback', 'satisfaction', 'callback'));

-- A superuser creates a center from the console or `samad-ivr center add`
-- (samad_ivr/storage/centers.py); the creation is audited like the roster's changes.
ALTER TABLE roster_audit DROP CONSTRAINT roster_audit_action_check;
ALTER TABLE roster_audit ADD CONSTRAINT roster_audit_action_check CHECK (action IN (
    'slot_create', 'slot_move', 'slot_delete', 'slot_repeat', 'slot_import',
    'holiday_add', 'holiday_remove', 'holiday_rename',
    'weekend_set', 'duty_window_set',
    'official_create', 'official_update', 'official_delete',
    'agency_create', 'agency_update', 'agency_delete',
    'user_create', 'user_update', 'user_delete',
    'sms_template_create', 'sms_template_update', 'sms_template_delete',
    'center_create'));
