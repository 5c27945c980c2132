-- 0016_sent_back_sms: the agency's SMS when an inspector sends a request back (issue 11).
--
-- Admins edit it on /admin/sms/templates; placeholders {code} (alone on its line) and
-- {due_on} (samad_ivr/sms/text.py TEMPLATE_FIELDS; default in samad_ivr/sms/templates.py).

INSERT INTO sms_templates (key, body) VALUES (
    'request_sent_back',
    E'سامد: درخواست برای پاسخ دوباره به دستگاه شما بازگشت.\nکد پیگیری:\n{code}\nمهلت پاسخ تا پایان {due_on}'
) ON CONFLICT (key) DO NOTHING;
