-- 0001_core: centers, roster, calls, recordings, requests, SMS outbox, intake spool.
-- Forward only. The runner executes this file in one transaction.
-- Every timestamp is timestamptz (stored UTC); local times (duty hours) are `time`
-- interpreted in the center's own timezone by the domain layer.

CREATE EXTENSION IF NOT EXISTS btree_gist;

CREATE TABLE centers (
    id           serial PRIMARY KEY,
    code         text NOT NULL UNIQUE,
    name         text NOT NULL,
    timezone     text NOT NULL DEFAULT 'Asia/Tehran',
    duty_start   time NOT NULL DEFAULT '09:00',
    duty_end     time NOT NULL DEFAULT '11:00',
    -- ISO weekday numbers with Monday = 0; Friday (4) is the Iranian weekend.
    weekend_days int[] NOT NULL DEFAULT '{4}',
    queue_name   text NOT NULL,
    CONSTRAINT centers_duty_window CHECK (duty_end > duty_start),
    CONSTRAINT centers_weekend_days_range CHECK (weekend_days <@ '{0,1,2,3,4,5,6}'::int[])
);

CREATE TABLE agencies (
    id        serial PRIMARY KEY,
    center_id int NOT NULL REFERENCES centers (id),
    name      text NOT NULL,
    UNIQUE (center_id, name),
    -- target of the composite FK that keeps an official's agency in the same center
    UNIQUE (id, center_id)
);

CREATE TABLE officials (
    id            serial PRIMARY KEY,
    center_id     int NOT NULL REFERENCES centers (id),
    name          text NOT NULL,
    title         text NOT NULL,
    agency_id     int NULL,
    -- Interpolated into Dial(): only a technology/resource, never dialplan syntax.
    desk_endpoint text NOT NULL
        CONSTRAINT officials_desk_endpoint_format
        CHECK (desk_endpoint ~ '^(PJSIP|SIP|IAX2|Local)/[A-Za-z0-9_.@+-]+(/n)?$'),
    mobile        text NULL
        CONSTRAINT officials_mobile_e164 CHECK (mobile ~ '^\+[1-9][0-9]{6,14}$'),
    deputy_id     int NULL REFERENCES officials (id) ON DELETE SET NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT officials_not_own_deputy CHECK (deputy_id <> id),
    FOREIGN KEY (agency_id, center_id) REFERENCES agencies (id, center_id),
    UNIQUE (id, center_id)
);

CREATE TABLE duty_slots (
    id          bigserial PRIMARY KEY,
    center_id   int NOT NULL REFERENCES centers (id),
    official_id int NOT NULL,
    starts_at   timestamptz NOT NULL,
    ends_at     timestamptz NOT NULL,
    CONSTRAINT duty_slots_positive CHECK (ends_at > starts_at),
    FOREIGN KEY (official_id, center_id) REFERENCES officials (id, center_id),
    -- One desk per center: two slots of a center never overlap (half-open ranges,
    -- so back-to-back slots are allowed).
    CONSTRAINT duty_slots_no_overlap
        EXCLUDE USING gist (center_id WITH =, tstzrange(starts_at, ends_at) WITH &&)
);

CREATE INDEX duty_slots_official_idx ON duty_slots (official_id, starts_at);

-- Holidays and ad-hoc closures.
CREATE TABLE closed_days (
    center_id int NOT NULL REFERENCES centers (id),
    day       date NOT NULL,
    name      text NOT NULL,
    PRIMARY KEY (center_id, day)
);

CREATE TABLE calls (
    id                 bigserial PRIMARY KEY,
    uniqueid           text NOT NULL UNIQUE,
    linkedid           text NULL,
    center_id          int NULL REFERENCES centers (id),
    caller_raw         text NOT NULL,
    caller_name_raw    text NULL,
    caller_e164        text NULL
        CONSTRAINT calls_caller_e164_format CHECK (caller_e164 ~ '^\+[1-9][0-9]{6,14}$'),
    started_at         timestamptz NOT NULL,
    answered_at        timestamptz NULL,
    ended_at           timestamptz NULL,
    disposition        text NULL CHECK (disposition IN
        ('answered', 'message', 'abandoned', 'failed', 'busy', 'no_answer')),
    route              text NULL CHECK (route IN ('desk', 'deputy', 'queue', 'closed', 'fallback')),
    official_id        int NULL REFERENCES officials (id),
    queue_wait_seconds numeric NULL CHECK (queue_wait_seconds >= 0),
    created_at         timestamptz NOT NULL DEFAULT now()
);

-- "earlier calls of this caller", newest first
CREATE INDEX calls_caller_e164_started_idx ON calls (caller_e164, started_at DESC);
CREATE INDEX calls_started_at_idx ON calls (started_at);
CREATE INDEX calls_linkedid_idx ON calls (linkedid);

CREATE TABLE recordings (
    id               bigserial PRIMARY KEY,
    call_id          bigint NOT NULL REFERENCES calls (id),
    kind             text NOT NULL CHECK (kind IN ('call', 'message')),
    -- relative to the recordings directory; never absolute, never escaping it
    path             text NOT NULL CONSTRAINT recordings_path_relative
        CHECK (path <> '' AND path !~ '^/' AND path !~ '(^|/)\.\.(/|$)'),
    duration_seconds numeric NULL CHECK (duration_seconds >= 0),
    size_bytes       bigint NULL CHECK (size_bytes >= 0),
    sha256           text NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    finished_at      timestamptz NULL,
    created_at       timestamptz NOT NULL DEFAULT now(),
    UNIQUE (call_id, kind)
);

-- recordings noted but not yet finalised (hashed, measured): the finaliser's sweep
CREATE INDEX recordings_pending_idx ON recordings (created_at) WHERE finished_at IS NULL;

CREATE TABLE requests (
    id            bigserial PRIMARY KEY,
    tracking_code text NOT NULL UNIQUE CHECK (tracking_code ~ '^[0-9]{10}$'),
    call_id       bigint NOT NULL UNIQUE REFERENCES calls (id),
    caller_e164   text NULL
        CONSTRAINT requests_caller_e164_format CHECK (caller_e164 ~ '^\+[1-9][0-9]{6,14}$'),
    official_id   int NULL REFERENCES officials (id),
    agency_id     int NULL REFERENCES agencies (id),
    status        text NOT NULL DEFAULT 'registered'
        CHECK (status IN ('registered', 'assigned', 'answered', 'closed', 'escalated')),
    created_at    timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX requests_caller_e164_idx ON requests (caller_e164, created_at DESC);

CREATE TABLE sms_outbox (
    id          bigserial PRIMARY KEY,
    request_id  bigint NULL REFERENCES requests (id),
    destination text NOT NULL CHECK (destination ~ '^\+[1-9][0-9]{6,14}$'),
    body        text NOT NULL,
    status      text NOT NULL DEFAULT 'queued' CHECK (status IN
        ('queued', 'submitted', 'delivered', 'undelivered', 'failed', 'expired', 'blocked')),
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

-- the outbox worker's scan: only queued rows, oldest first
CREATE INDEX sms_outbox_queued_idx ON sms_outbox (created_at) WHERE status = 'queued';
CREATE INDEX sms_outbox_request_idx ON sms_outbox (request_id);

-- Spool files written while the DB or the service was down; a row here means the
-- file was already replayed, so replay is idempotent.
CREATE TABLE intake_spool (
    id          bigserial PRIMARY KEY,
    filename    text NOT NULL UNIQUE,
    ingested_at timestamptz NOT NULL DEFAULT now(),
    outcome     text NOT NULL
);
