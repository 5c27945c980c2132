-- 0021_security_limits (issue 15, found items 1, 2 and 4). Forward only.

-- 1. SMS budgets per kind.  A web sign-up's confirmation code was 'transactional', so
-- anyone typing a victim's number into the duty page used up the number's daily cap and
-- the citizen's own tracking-code SMS was refused.  Sign-up codes get their own kind;
-- the worker counts each kind's cap apart.  Until now only sign-ups queued request-less
-- transactional rows (tracking codes, answers, questions all name their request).
ALTER TABLE sms_outbox DROP CONSTRAINT sms_outbox_category_check;
ALTER TABLE sms_outbox ADD CONSTRAINT sms_outbox_category_check
    CHECK (category IN ('transactional', 'notice', 'signup'));
UPDATE sms_outbox SET category = 'signup'
WHERE category = 'transactional' AND request_id IS NULL
  AND body LIKE '%کد تأیید%';
-- the daily ceiling of non-essential SMS (notices, sign-up codes) over all numbers
CREATE INDEX sms_outbox_nonessential_submitted_idx ON sms_outbox (submitted_at)
    WHERE category <> 'transactional';

-- Every confirmation code a web sign-up asked for, by number and by client address:
-- sign-ups are limited per number and per address (samad_ivr.notices.signup).
CREATE TABLE notice_signup_codes (
    id          bigserial PRIMARY KEY,
    destination text NOT NULL,
    address     text NOT NULL,
    sent_at     timestamptz NOT NULL
);
CREATE INDEX notice_signup_codes_destination_idx ON notice_signup_codes (destination, sent_at);
CREATE INDEX notice_signup_codes_address_idx ON notice_signup_codes (address, sent_at);

-- 2. A desk endpoint belongs to one center.  Officials of one center may share a desk
-- (the governor and deputies sit at the same phone); another center's official may not
-- point at it, or they would ring (and, for a browser desk, register as) that desk.
CREATE TABLE desk_owners (
    endpoint   text PRIMARY KEY,
    center_id  int NOT NULL REFERENCES centers (id),
    created_at timestamptz NOT NULL DEFAULT now()
);

-- Existing rows: the center whose official used the endpoint first keeps it; another
-- center's official on the same endpoint is moved to a Local desk that rings nothing
-- (their calls go to the deputy/queue fallback) and the admins are told.
INSERT INTO desk_owners (endpoint, center_id)
SELECT DISTINCT ON (desk_endpoint) desk_endpoint, center_id
FROM officials ORDER BY desk_endpoint, id;

INSERT INTO admin_notifications (kind, subject, body, dedup_key, created_at)
SELECT 'desk_endpoint_conflict',
       'Desk of official ' || o.id || ' was another center''s; it was unassigned',
       'Endpoint ' || o.desk_endpoint || ' belongs to center ' || d.center_id
           || '; set this official''s own desk.',
       'desk_endpoint_conflict:' || o.id, now()
FROM officials o JOIN desk_owners d ON d.endpoint = o.desk_endpoint
WHERE d.center_id <> o.center_id
ON CONFLICT (dedup_key) DO NOTHING;

UPDATE officials o SET desk_endpoint = 'Local/unassigned-desk-' || o.id
FROM desk_owners d
WHERE d.endpoint = o.desk_endpoint AND d.center_id <> o.center_id;

INSERT INTO desk_owners (endpoint, center_id)
SELECT desk_endpoint, center_id FROM officials
ON CONFLICT (endpoint) DO NOTHING;

-- Every write path (admin form, CSV import, seed) goes through this: a new endpoint is
-- claimed for the official's center, another center's endpoint is refused.
CREATE FUNCTION officials_desk_owner() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    owner int;
BEGIN
    INSERT INTO desk_owners (endpoint, center_id) VALUES (NEW.desk_endpoint, NEW.center_id)
    ON CONFLICT (endpoint) DO NOTHING;
    SELECT center_id INTO owner FROM desk_owners WHERE endpoint = NEW.desk_endpoint;
    IF owner <> NEW.center_id THEN
        RAISE EXCEPTION 'desk endpoint % belongs to another center', NEW.desk_endpoint
            USING ERRCODE = 'unique_violation', CONSTRAINT = 'officials_desk_one_center';
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER officials_desk_one_center
    BEFORE INSERT OR UPDATE OF desk_endpoint, center_id ON officials
    FOR EACH ROW EXECUTE FUNCTION officials_desk_owner();

-- Browser desks' SIP credentials: random per desk, rotated on demand.  Asterisk's
-- md5_cred is stored (MD5 of name:realm:password), never the password, and nothing is
-- derived from the desk's name.
CREATE TABLE desk_credentials (
    endpoint   text PRIMARY KEY,
    realm      text NOT NULL,
    ha1        text NOT NULL CHECK (ha1 ~ '^[0-9a-f]{32}$'),
    rotated_at timestamptz NOT NULL DEFAULT now()
);

-- 4. Which endpoint heard a live listen-in (NULL for playback and download).
ALTER TABLE listen_audit ADD COLUMN endpoint text NULL;
ALTER TABLE listen_audit ADD CONSTRAINT listen_audit_live_names_endpoint
    CHECK (action <> 'listen_live' OR endpoint IS NOT NULL) NOT VALID;
