-- 0005_notices: holiday provenance and public duty notices (subscriptions, deliveries).
-- Warnings about the four-visits-a-year rule go to admin_notifications (0002).
-- Forward only. The runner executes this file in one transaction.

-- Where a closed day came from: 'admin' (typed in by an admin, the default so existing
-- writers need no change), 'holidays' (the holidays package), 'holidays_estimated' (a
-- lunar date the package only estimates: an admin should check it against the decree).
ALTER TABLE closed_days
    ADD COLUMN source text NOT NULL DEFAULT 'admin'
        CONSTRAINT closed_days_source CHECK (source IN ('admin', 'holidays', 'holidays_estimated'));

-- One row per center and Jalali year already seeded from the holidays package, so a
-- re-seed never brings back a day an admin removed on purpose.
CREATE TABLE holiday_seeds (
    center_id   int NOT NULL REFERENCES centers (id),
    jalali_year int NOT NULL CHECK (jalali_year BETWEEN 1300 AND 1600),
    seeded_at   timestamptz NOT NULL,
    days        int NOT NULL CHECK (days >= 0),
    PRIMARY KEY (center_id, jalali_year)
);

-- Citizens who want to hear about upcoming duty sessions of a center.  Only Iranian
-- mobiles: notices go out by SMS.  A web sign-up is unconfirmed until the citizen
-- types back the code we sent (anyone can type anyone's number into a form); a sign-up
-- from the IVR uses the caller's own line and is confirmed at once.
CREATE TABLE subscriptions (
    id                bigserial PRIMARY KEY,
    center_id         int NOT NULL REFERENCES centers (id),
    destination       text NOT NULL
        CONSTRAINT subscriptions_destination_mobile CHECK (destination ~ '^\+989[0-9]{9}$'),
    source            text NOT NULL CHECK (source IN ('web', 'ivr')),
    created_at        timestamptz NOT NULL,
    confirmed         boolean NOT NULL DEFAULT false,
    confirmed_at      timestamptz NULL,
    -- sha256 hex of the confirmation code; the code itself is never stored
    confirm_code_hash text NULL CHECK (confirm_code_hash ~ '^[0-9a-f]{64}$'),
    code_sent_at      timestamptz NULL,
    confirm_attempts  int NOT NULL DEFAULT 0 CHECK (confirm_attempts >= 0),
    UNIQUE (center_id, destination)
);

CREATE INDEX subscriptions_confirmed_idx ON subscriptions (center_id) WHERE confirmed;

-- One announcement per session and number, ever: the primary key is the guard, so two
-- job runs (or two nodes) cannot both queue the same SMS.
CREATE TABLE notice_deliveries (
    slot_id     bigint NOT NULL REFERENCES duty_slots (id) ON DELETE CASCADE,
    destination text NOT NULL CHECK (destination ~ '^\+[1-9][0-9]{6,14}$'),
    outbox_id   bigint NULL REFERENCES sms_outbox (id),
    queued_at   timestamptz NOT NULL,
    PRIMARY KEY (slot_id, destination)
);
