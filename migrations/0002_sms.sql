-- 0002_sms: outbox worker state, send attempts, delivery reports, templates, admin
-- notifications, opt-outs and inbound SMS. Forward only.

-- Worker state on each outbox row. A worker claims a row by setting a lease
-- (claimed_until, claimed_by) in a committed transaction, sends without holding any
-- lock, then writes the result only if it still holds the lease (claimed_by matches).
-- A crashed worker's row is claimed again only after the lease has expired.
ALTER TABLE sms_outbox
    ADD COLUMN category            text NOT NULL DEFAULT 'transactional'
        CHECK (category IN ('transactional', 'notice')),
    ADD COLUMN attempts            int NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    ADD COLUMN next_attempt_at     timestamptz NOT NULL DEFAULT now(),
    ADD COLUMN claimed_until       timestamptz NULL,
    ADD COLUMN claimed_by          text NULL,
    ADD COLUMN provider            text NULL,
    ADD COLUMN provider_message_id text NULL,
    -- the provider's own code for the latest delivery state, verbatim
    ADD COLUMN provider_status     text NULL,
    -- why a message is failed or blocked (gave_up, daily_cap, not_mobile, ...)
    ADD COLUMN status_reason       text NULL,
    ADD COLUMN last_error          text NULL,
    ADD COLUMN submitted_at        timestamptz NULL,
    ADD COLUMN final_at            timestamptz NULL,
    ADD COLUMN next_poll_at        timestamptz NULL,
    ADD COLUMN polls               int NOT NULL DEFAULT 0 CHECK (polls >= 0);

-- the worker's scan: due queued rows
CREATE INDEX sms_outbox_due_idx ON sms_outbox (next_attempt_at) WHERE status = 'queued';
-- the per-destination daily cap
CREATE INDEX sms_outbox_destination_idx ON sms_outbox (destination, submitted_at);
-- status polling of providers without callbacks
CREATE INDEX sms_outbox_poll_idx ON sms_outbox (next_poll_at)
    WHERE status = 'submitted' AND next_poll_at IS NOT NULL;
CREATE INDEX sms_outbox_provider_message_idx
    ON sms_outbox (provider, provider_message_id) WHERE provider_message_id IS NOT NULL;

-- One row per call to a provider, with what it answered (raw, secrets redacted).
CREATE TABLE sms_attempts (
    id                  bigserial PRIMARY KEY,
    outbox_id           bigint NOT NULL REFERENCES sms_outbox (id),
    attempt_no          int NOT NULL CHECK (attempt_no > 0),
    provider            text NOT NULL,
    worker              text NOT NULL,
    started_at          timestamptz NOT NULL,
    finished_at         timestamptz NOT NULL,
    outcome             text NOT NULL CHECK (outcome IN ('accepted', 'transient', 'permanent')),
    provider_message_id text NULL,
    http_status         int NULL,
    detail              text NOT NULL,
    raw_response        text NULL,
    UNIQUE (outbox_id, attempt_no)
);

-- Delivery reports (Kannel DLRs, Kavenegar status polls), raw codes kept.
CREATE TABLE sms_delivery_events (
    id          bigserial PRIMARY KEY,
    outbox_id   bigint NOT NULL REFERENCES sms_outbox (id),
    source      text NOT NULL CHECK (source IN ('dlr', 'poll')),
    raw_code    text NOT NULL,
    raw         text NULL,
    status      text NOT NULL CHECK (status IN
        ('queued', 'submitted', 'delivered', 'undelivered', 'failed', 'expired', 'blocked')),
    applied     boolean NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX sms_delivery_events_outbox_idx ON sms_delivery_events (outbox_id, id);

-- Persian message templates that admins edit; placeholders are checked on save.
CREATE TABLE sms_templates (
    key        text PRIMARY KEY CHECK (key ~ '^[a-z][a-z0-9_]{0,63}$'),
    body       text NOT NULL CHECK (body <> ''),
    updated_at timestamptz NOT NULL DEFAULT now(),
    updated_by text NULL
);

INSERT INTO sms_templates (key, body) VALUES (
    'tracking_code',
    E'سامد: درخواست شما ثبت شد.\nکد پیگیری:\n{code}\n{registered_at}\nپیگیری وضعیت: تماس با ۱۱۱'
);

-- What "tells the admins" means: the admin console lists unacknowledged rows.
-- dedup_key makes a recurring condition (no credit, cap reached) notify once.
CREATE TABLE admin_notifications (
    id              bigserial PRIMARY KEY,
    kind            text NOT NULL,
    subject         text NOT NULL,
    body            text NOT NULL,
    dedup_key       text NULL UNIQUE,
    created_at      timestamptz NOT NULL DEFAULT now(),
    acknowledged_at timestamptz NULL,
    acknowledged_by text NULL
);

CREATE INDEX admin_notifications_open_idx ON admin_notifications (created_at)
    WHERE acknowledged_at IS NULL;

-- Numbers that sent the opt-out word: they receive no notices (transactional SMS such
-- as tracking codes still go out). The notices subscription table reads this.
CREATE TABLE sms_optouts (
    destination text PRIMARY KEY CHECK (destination ~ '^\+[1-9][0-9]{6,14}$'),
    created_at  timestamptz NOT NULL DEFAULT now(),
    source      text NOT NULL
);

-- MO messages. source is NULL when the sender is not a valid number (source_raw keeps
-- what the gateway gave).
CREATE TABLE sms_inbound (
    id          bigserial PRIMARY KEY,
    source      text NULL CHECK (source ~ '^\+[1-9][0-9]{6,14}$'),
    source_raw  text NOT NULL,
    text        text NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now(),
    kind        text NOT NULL CHECK (kind IN ('optout', 'satisfaction', 'unknown')),
    score       smallint NULL CHECK (score BETWEEN 1 AND 5),
    request_id  bigint NULL REFERENCES requests (id),
    gateway_id  text NULL
);

CREATE INDEX sms_inbound_source_idx ON sms_inbound (source, received_at DESC);
CREATE INDEX sms_inbound_request_idx ON sms_inbound (request_id) WHERE request_id IS NOT NULL;
