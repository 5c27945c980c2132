-- 0019_citizen_web: the citizen's side on the web (issue 12): /status and Open311.
--
-- /status (samad_ivr.storage.status_web) shows a request to whoever gives its tracking
-- code and the last four digits of the number that called.  Each try leaves one row
-- here, so the limits (tries per address per hour, wrong pairs per code per day) hold
-- across every web instance: a try takes advisory locks on its address and its code,
-- counts and writes before they are released.  Rows older than two days count for
-- nothing and are pruned by the tries themselves.
CREATE TABLE status_web_attempts (
    id      bigserial PRIMARY KEY,
    -- The client's IP address as text, or 'unknown'.
    address text NOT NULL CHECK (char_length(address) BETWEEN 1 AND 64),
    code    text NOT NULL CHECK (code ~ '^[0-9]{10}$'),
    matched boolean NOT NULL,
    at      timestamptz NOT NULL
);

CREATE INDEX status_web_attempts_address_idx ON status_web_attempts (address, at);
CREATE INDEX status_web_attempts_code_failed_idx ON status_web_attempts (code, at)
    WHERE NOT matched;
CREATE INDEX status_web_attempts_at_idx ON status_web_attempts (at);

-- Open311 GeoReport v2 (samad_ivr.storage.open311) lists requests newest first, at most
-- 1,000, optionally of one topic or of open/closed ones: each shape walks one of these
-- indexes backwards from the end of the date range and stops at the limit, whatever the
-- size of the table (with no filter, and with the jurisdiction filter, 0012's
-- requests_created_idx and requests_center_created_idx do the same).
CREATE INDEX requests_open311_topic_idx ON requests (topic, created_at, id);
CREATE INDEX requests_open311_closed_idx ON requests ((status = 'closed'), created_at, id);
