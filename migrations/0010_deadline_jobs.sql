-- 0010_deadline_jobs: the agency's reminder SMS before its deadline (issue 11).
--
-- Admins edit it on /admin/sms/templates like the tracking-code text; placeholders
-- {code} (the request's tracking code, alone on its line) and {due_on} (the last day,
-- Jalali).  The deadline jobs (samad_ivr/jobs/) find their rows through the partial
-- indexes of 0009 (requests_open_due_idx, requests_remind_idx, requests_long_stop_idx).

INSERT INTO sms_templates (key, body) VALUES (
    'agency_reminder',
    E'سامد: یادآوری مهلت پاسخ\nکد پیگیری:\n{code}\nمهلت پاسخ تا پایان {due_on}\nپاسخ را در سامانهٔ سامد ثبت کنید.'
) ON CONFLICT (key) DO NOTHING;
