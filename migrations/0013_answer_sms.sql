-- 0013_answer_sms: the citizen's SMS when the agency has answered (issue 11).
--
-- Admins edit it on /admin/sms/templates like the tracking-code text; placeholders
-- {code}, {agency}, {answered_at} (samad_ivr/sms/text.py TEMPLATE_FIELDS).

INSERT INTO sms_templates (key, body) VALUES (
    'request_answered',
    E'سامد: {agency} به درخواست شما پاسخ داد.\nکد پیگیری:\n{code}\nشنیدن پاسخ: تماس با ۱۱۱'
) ON CONFLICT (key) DO NOTHING;

-- Removing a stored file after a failed save asks whether any row still needs it.
CREATE INDEX answer_attachments_sha256_idx ON answer_attachments (sha256);
