-- 0028_callbacks: callbacks instead of endless waiting (issue 13).
--
-- A caller in a long queue who presses 1 is stored here and keeps their place: the
-- line is ordered by `queued_at` (when they first joined the queue), shared with the
-- callers still waiting on the line.  The dispatcher (samad_ivr/jobs/callbacks.py) claims
-- the first due callback when a desk is free, places it (AMI Originate) and records the
-- attempt; after `attempts` reach the limit, or when the session has no time left, the
-- callback becomes a request on the caller's own inbound call (tracking code + SMS
-- 'callback_missed' naming the next session).  The callback conversation itself is a
-- calls row with route 'callback' (its uniqueid = `channel_id` of the last attempt).

-- 0027 (H12) adds 'callback' too; restating it keeps this migration whole on its own.
ALTER TABLE calls DROP CONSTRAINT calls_route_check;
ALTER TABLE calls ADD CONSTRAINT calls_route_check
    CHECK (route IN ('desk', 'deputy', 'queue', 'closed', 'fallback', 'satisfaction', 'callback'));

CREATE TABLE callbacks (
    id               bigserial PRIMARY KEY,
    center_id        int NOT NULL REFERENCES centers (id),
    -- the inbound call the citizen pressed 1 in (calls.uniqueid once it is stored)
    origin_uniqueid  text NOT NULL UNIQUE,
    caller_e164      text NOT NULL
        CONSTRAINT callbacks_caller_e164_format CHECK (caller_e164 ~ '^\+[1-9][0-9]{6,14}$'),
    queued_at        timestamptz NOT NULL,
    requested_at     timestamptz NOT NULL,
    session_ends_at  timestamptz NOT NULL,
    status           text NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'placing', 'reached', 'converted')),
    attempts         int NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_attempt_at  timestamptz NOT NULL,
    channel_id       text NULL,   -- the outbound channel of the current/last attempt
    last_result      text NULL,
    request_id       bigint NULL REFERENCES requests (id),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT callbacks_converted_has_request
        CHECK (status <> 'converted' OR request_id IS NOT NULL)
);

-- the line of a center: pending and placing callbacks in arrival order
CREATE INDEX callbacks_open_idx ON callbacks (center_id, queued_at)
    WHERE status IN ('pending', 'placing');

CREATE TABLE callback_attempts (
    callback_id  bigint NOT NULL REFERENCES callbacks (id),
    attempt      int NOT NULL CHECK (attempt >= 1),
    channel_id   text NOT NULL UNIQUE,
    started_at   timestamptz NOT NULL,
    result       text NULL CHECK (result IN ('answered', 'busy', 'no_answer', 'failed')),
    ended_at     timestamptz NULL,
    PRIMARY KEY (callback_id, attempt)
);

INSERT INTO sms_templates (key, body) VALUES (
    'callback_missed',
    E'سامد: نتوانستیم در این نوبت با شما تماس بگیریم؛ درخواست شما ثبت شد.\nکد پیگیری:\n{code}\nنوبت بعدی پاسخ‌گویی: {next_session}'
) ON CONFLICT (key) DO NOTHING;
