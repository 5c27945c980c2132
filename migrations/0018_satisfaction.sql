-- 0018_satisfaction: "was the answer convincing?" (issue 12).
--
-- A while after the agency answers, the citizen is asked by SMS and/or by a callback.
-- Each way of asking is one question row, tied to the answer's round (requests.answered_at
-- when it was asked); a reply settles that question, never "the caller's latest request".
-- Every question, reply and callback attempt also leaves a request_history row, so the
-- case file shows them.  Rules: samad_ivr/domain/satisfaction.py; queries:
-- samad_ivr/storage/satisfaction.py.

CREATE TABLE satisfaction_questions (
    id              bigserial PRIMARY KEY,
    request_id      bigint NOT NULL REFERENCES requests (id),
    -- The answer asked about: requests.answered_at of that round.
    round_at        timestamptz NOT NULL,
    channel         text NOT NULL CHECK (channel IN ('sms', 'call')),
    destination     text NOT NULL CHECK (destination ~ '^\+[1-9][0-9]{6,14}$'),
    asked_at        timestamptz NOT NULL,
    expires_at      timestamptz NOT NULL CHECK (expires_at > asked_at),
    outcome         text NOT NULL DEFAULT 'open' CHECK (outcome IN
        ('open', 'convinced', 'not_convinced', 'no_reply', 'superseded')),
    settled_at      timestamptz NULL,
    sms_outbox_id   bigint NULL REFERENCES sms_outbox (id),
    -- Callbacks: how many rang, when the next may ring (NULL: no more), when the first did.
    attempts        int NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_call_at    timestamptz NULL,
    first_call_at   timestamptz NULL,
    -- A callback in progress: nobody else rings it before this instant.
    calling_until   timestamptz NULL,
    UNIQUE (request_id, round_at, channel),
    CONSTRAINT satisfaction_questions_settled CHECK ((outcome = 'open') = (settled_at IS NULL))
);

-- An SMS reply names no request: one open SMS question per number at a time, so a "2"
-- can only mean one thing.  A second question to that number waits until this one closes.
CREATE UNIQUE INDEX satisfaction_questions_one_open_sms
    ON satisfaction_questions (destination) WHERE channel = 'sms' AND outcome = 'open';
CREATE INDEX satisfaction_questions_calls_due
    ON satisfaction_questions (next_call_at) WHERE channel = 'call' AND outcome = 'open';
CREATE INDEX satisfaction_questions_expiry
    ON satisfaction_questions (expires_at) WHERE outcome = 'open';
CREATE INDEX satisfaction_questions_request ON satisfaction_questions (request_id, id);

-- The asking job's walk: answered requests by the time of their answer.
CREATE INDEX requests_answered_at_idx ON requests (answered_at) WHERE status = 'answered';

-- One row per callback attempt; the call itself (when it was answered) is a calls row
-- with its recording like any other.
CREATE TABLE satisfaction_calls (
    id           bigserial PRIMARY KEY,
    question_id  bigint NOT NULL REFERENCES satisfaction_questions (id),
    attempt_no   int NOT NULL CHECK (attempt_no > 0),
    started_at   timestamptz NOT NULL,
    finished_at  timestamptz NULL,
    -- answered: picked up, result in `digit`; busy / no_answer / failed: did not reach them.
    result       text NULL CHECK (result IN ('answered', 'busy', 'no_answer', 'failed')),
    digit        text NULL CHECK (digit ~ '^[0-9*#]?$'),
    uniqueid     text NULL CHECK (uniqueid ~ '^[0-9]{1,20}\.[0-9]{1,10}$'),
    call_id      bigint NULL REFERENCES calls (id),
    UNIQUE (question_id, attempt_no)
);

CREATE UNIQUE INDEX satisfaction_calls_uniqueid ON satisfaction_calls (uniqueid)
    WHERE uniqueid IS NOT NULL;

-- SMS replies tied to their question.
ALTER TABLE sms_inbound ADD COLUMN question_id bigint NULL REFERENCES satisfaction_questions (id);
CREATE INDEX sms_inbound_question_idx ON sms_inbound (question_id) WHERE question_id IS NOT NULL;

-- The case file's lines for them.
ALTER TABLE request_history DROP CONSTRAINT request_history_event_check;
ALTER TABLE request_history ADD CONSTRAINT request_history_event_check CHECK (event IN
    ('transition', 'deadline_changed', 'reminder_sent', 'long_stop',
     'satisfaction_asked', 'satisfaction_reply', 'satisfaction_call'));

-- The SMS question; admins edit it on /admin/sms/templates.  Placeholders {code} (alone
-- on its line) and {agency} (samad_ivr/sms/text.py; default in samad_ivr/sms/templates.py).
INSERT INTO sms_templates (key, body) VALUES (
    'satisfaction_question',
    E'سامد: آیا پاسخ {agency} به درخواست شما قانع‌کننده بود؟\nکد پیگیری:\n{code}\nاگر قانع شدید ۱ و اگر نه ۲ را پیامک کنید.'
) ON CONFLICT (key) DO NOTHING;
