-- 0017_status_lookups: a caller checks a request's status by phone (issue 12).
--
-- Every code typed after "press 1" during the greeting leaves one row, refused or not,
-- so that the national search shows what was asked on a call and the limits (codes
-- per call, per caller number per hour, codes not found per center per hour) are counted here,
-- where every FastAGI instance of a center sees the same numbers.
-- The rules live in samad_ivr/domain/status_line.py, the queries in
-- samad_ivr/storage/status_lookups.py.

CREATE TABLE status_lookups (
    id            bigserial PRIMARY KEY,
    -- The call's Asterisk uniqueid (with systemname set in asterisk.conf it has a prefix);
    -- the calls row is written when the call ends.
    call_uniqueid text NOT NULL CHECK (call_uniqueid ~ '^[A-Za-z0-9._-]{1,64}$'),
    center_id     int NULL REFERENCES centers (id),
    -- Whose hourly limit it counts against: the caller's E.164 number, or 'unknown'
    -- for withheld, anonymous and garbage caller IDs (one shared bucket).
    caller_bucket text NOT NULL
        CHECK (caller_bucket = 'unknown' OR caller_bucket ~ '^\+[1-9][0-9]{6,14}$'),
    typed         text NOT NULL CHECK (typed ~ '^[0-9*#A-D]{0,32}$'),
    outcome       text NOT NULL CHECK (outcome IN
        ('found', 'not_found', 'invalid', 'limit_call', 'limit_caller', 'limit_center')),
    valid         boolean NOT NULL,
    found         boolean NOT NULL,
    request_id    bigint NULL REFERENCES requests (id),
    at            timestamptz NOT NULL,
    CONSTRAINT status_lookups_found_has_request CHECK (found = (request_id IS NOT NULL)),
    CONSTRAINT status_lookups_found_is_valid CHECK (valid OR NOT found)
);

-- The call's lookups (limit per call, the national search's call detail).
CREATE INDEX status_lookups_call_idx ON status_lookups (call_uniqueid, id);
-- The hourly limits.
CREATE INDEX status_lookups_bucket_idx ON status_lookups (caller_bucket, at);
CREATE INDEX status_lookups_center_not_found_idx ON status_lookups (center_id, at)
    WHERE outcome = 'not_found';

-- "Send the answer again": once per request per local day of its center, whoever asks.
CREATE TABLE status_answer_resends (
    id            bigserial PRIMARY KEY,
    request_id    bigint NOT NULL REFERENCES requests (id),
    local_day     date NOT NULL,
    call_uniqueid text NOT NULL,
    sms_id        bigint NULL REFERENCES sms_outbox (id),
    at            timestamptz NOT NULL,
    UNIQUE (request_id, local_day)
);
