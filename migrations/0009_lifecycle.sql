-- 0009_lifecycle: what happens to a request after the call (issue 11).
--
-- registered -> assigned -> answered -> closed, plus reopened and escalated (the rules
-- live in samad_ivr/domain/lifecycle.py).  Every move leaves one row in request_history,
-- which the database keeps append-only; requests themselves are never deleted.
-- Deadlines are local dates of the request's center (the agency must answer by the end
-- of `due_on`, center time); how they are computed is samad_ivr/domain/deadlines.py.

ALTER TABLE requests DROP CONSTRAINT requests_status_check;
ALTER TABLE requests ADD CONSTRAINT requests_status_known CHECK (status IN
    ('registered', 'assigned', 'answered', 'closed', 'reopened', 'escalated'));

-- The center a request belongs to (the province whose staff see it).  Copied from its
-- call, so queues and reports of one province need no join.
ALTER TABLE requests
    ADD COLUMN center_id      int NULL REFERENCES centers (id),
    -- Bumped by every change; a page that carries it gets a conflict when it is stale.
    ADD COLUMN version        int NOT NULL DEFAULT 0,
    ADD COLUMN assigned_at    timestamptz NULL,
    ADD COLUMN deadline_start date NULL,
    ADD COLUMN deadline_days  int NULL CHECK (deadline_days BETWEEN 1 AND 365),
    ADD COLUMN deadline_mode  text NULL CHECK (deadline_mode IN ('calendar', 'working')),
    ADD COLUMN due_on         date NULL,
    ADD COLUMN remind_on      date NULL,
    ADD COLUMN long_stop_on   date NULL,
    ADD COLUMN reminded_at    timestamptz NULL,
    ADD COLUMN escalated_at   timestamptz NULL,
    ADD COLUMN long_stop_at   timestamptz NULL,
    ADD COLUMN answered_at    timestamptz NULL,
    -- Whether the latest answer came by the end of the deadline day it answered.
    ADD COLUMN answered_late  boolean NULL,
    ADD COLUMN closed_at      timestamptz NULL,
    ADD CONSTRAINT requests_deadline_complete CHECK (
        (due_on IS NULL) = (deadline_start IS NULL)
        AND (due_on IS NULL) = (deadline_days IS NULL)
        AND (due_on IS NULL) = (deadline_mode IS NULL)
        AND (due_on IS NULL OR due_on > deadline_start));

UPDATE requests r SET center_id = c.center_id FROM calls c WHERE c.id = r.call_id;

CREATE FUNCTION requests_take_center() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.center_id IS NULL THEN
        SELECT center_id INTO NEW.center_id FROM calls WHERE id = NEW.call_id;
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER requests_center BEFORE INSERT ON requests
    FOR EACH ROW EXECUTE FUNCTION requests_take_center();

-- The agency's list (by deadline), the inspectors' queues, the deadline jobs.
CREATE INDEX requests_agency_due_idx ON requests (agency_id, due_on, id)
    WHERE status <> 'closed';
CREATE INDEX requests_center_status_due_idx ON requests (center_id, status, due_on, id);
CREATE INDEX requests_open_due_idx ON requests (due_on) WHERE status = 'assigned';
CREATE INDEX requests_remind_idx ON requests (remind_on)
    WHERE status = 'assigned' AND reminded_at IS NULL;
CREATE INDEX requests_long_stop_idx ON requests (long_stop_on)
    WHERE status IN ('assigned', 'escalated') AND long_stop_at IS NULL;

-- Requests are kept forever: they are the record of what the state promised a citizen.
CREATE FUNCTION samad_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% on % is not allowed: the table is append-only', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END
$$;

CREATE TRIGGER requests_never_deleted BEFORE DELETE ON requests
    FOR EACH ROW EXECUTE FUNCTION samad_refuse_change();
CREATE TRIGGER requests_never_truncated BEFORE TRUNCATE ON requests
    FOR EACH STATEMENT EXECUTE FUNCTION samad_refuse_change();

-- One row per move (and per deadline change, reminder, long stop).  Exactly one actor:
-- a console user (user_id, with username kept readable if the account goes) or a named
-- job ('deadline_job', 'intake', 'holiday_recompute', 'citizen_ivr', ...).
CREATE TABLE request_history (
    id          bigserial PRIMARY KEY,
    request_id  bigint NOT NULL REFERENCES requests (id),
    at          timestamptz NOT NULL,
    event       text NOT NULL CHECK (event IN
        ('transition', 'deadline_changed', 'reminder_sent', 'long_stop')),
    action      text NULL CHECK (action IN ('register', 'assign', 'answer', 'escalate',
        'accept', 'send_back', 'resolve', 'reopen')),
    from_status text NULL,
    to_status   text NULL,
    user_id     int NULL,
    username    text NULL,
    job         text NULL CHECK (job ~ '^[a-z][a-z0-9_]{1,39}$'),
    note        text NULL CHECK (char_length(note) <= 4000),
    details     jsonb NULL,
    CONSTRAINT request_history_one_actor CHECK (num_nonnulls(user_id, job) = 1),
    CONSTRAINT request_history_transition_named CHECK (
        event <> 'transition' OR (action IS NOT NULL AND to_status IS NOT NULL))
);

CREATE INDEX request_history_request_idx ON request_history (request_id, id);

CREATE TRIGGER request_history_append_only BEFORE UPDATE OR DELETE ON request_history
    FOR EACH ROW EXECUTE FUNCTION samad_refuse_change();
CREATE TRIGGER request_history_never_truncated BEFORE TRUNCATE ON request_history
    FOR EACH STATEMENT EXECUTE FUNCTION samad_refuse_change();

-- Registration is the first row of every request's history.
CREATE FUNCTION requests_history_registered() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO request_history (request_id, at, event, action, to_status, job)
    VALUES (NEW.id, NEW.created_at, 'transition', 'register', NEW.status, 'intake');
    RETURN NULL;
END
$$;

CREATE TRIGGER requests_history_registered AFTER INSERT ON requests
    FOR EACH ROW EXECUTE FUNCTION requests_history_registered();

INSERT INTO request_history (request_id, at, event, action, to_status, job)
SELECT id, created_at, 'transition', 'register', 'registered', 'intake' FROM requests;

-- Topics per center, admin-editable.  Never deleted, only retired (active = false), so
-- the requests that carry one keep a valid reference.
CREATE TABLE topics (
    center_id int NOT NULL REFERENCES centers (id),
    code      text NOT NULL CHECK (code ~ '^[a-z][a-z0-9_]{1,39}$'),
    name      text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 200),
    position  int NOT NULL DEFAULT 0,
    active    boolean NOT NULL DEFAULT true,
    PRIMARY KEY (center_id, code),
    UNIQUE (center_id, name)
);

-- The topics of the source document, for every center (existing and new).
CREATE FUNCTION samad_seed_topics(center int) RETURNS void LANGUAGE sql AS $$
    INSERT INTO topics (center_id, code, name, position)
    VALUES (center, 'employment', 'اشتغال', 1),
           (center, 'preschool_teachers', 'مربیان پیش‌دبستانی', 2),
           (center, 'housing', 'نهضت ملی مسکن', 3),
           (center, 'bank_loans', 'تسهیلات بانکی تولید', 4),
           (center, 'industry', 'صنعت', 5),
           (center, 'agriculture', 'کشاورزی', 6),
           (center, 'family', 'ازدواج و فرزندآوری', 7),
           (center, 'other', 'سایر', 99)
    ON CONFLICT DO NOTHING
$$;

SELECT samad_seed_topics(id) FROM centers;

CREATE FUNCTION centers_seed_topics() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM samad_seed_topics(NEW.id);
    RETURN NULL;
END
$$;

CREATE TRIGGER centers_topics AFTER INSERT ON centers
    FOR EACH ROW EXECUTE FUNCTION centers_seed_topics();

-- Topic codes were a fixed list; now they are the center's own.
ALTER TABLE requests DROP CONSTRAINT requests_topic_check;
ALTER TABLE desk_notes DROP CONSTRAINT desk_notes_topic_check;
ALTER TABLE requests ADD CONSTRAINT requests_topic_of_center
    FOREIGN KEY (center_id, topic) REFERENCES topics (center_id, code);

-- Who to remind: the agency's contact mobile (SMS) besides the portal notice.
ALTER TABLE agencies ADD COLUMN contact_mobile text NULL
    CONSTRAINT agencies_contact_mobile_e164 CHECK (contact_mobile ~ '^\+[1-9][0-9]{6,14}$');

-- The agency's answer (one per round: a request sent back is answered again).
CREATE TABLE request_answers (
    id          bigserial PRIMARY KEY,
    request_id  bigint NOT NULL REFERENCES requests (id),
    agency_id   int NOT NULL REFERENCES agencies (id),
    user_id     int NOT NULL REFERENCES users (id),
    body        text NOT NULL CHECK (char_length(body) BETWEEN 1 AND 10000),
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX request_answers_request_idx ON request_answers (request_id, id);

-- Files kept outside the web root under their sha256; `storage_name` is that file's name.
CREATE TABLE answer_attachments (
    id           bigserial PRIMARY KEY,
    answer_id    bigint NOT NULL REFERENCES request_answers (id),
    request_id   bigint NOT NULL REFERENCES requests (id),
    filename     text NOT NULL CHECK (char_length(filename) BETWEEN 1 AND 255),
    content_type text NOT NULL CHECK (content_type IN
        ('application/pdf', 'image/jpeg', 'image/png')),
    size_bytes   bigint NOT NULL CHECK (size_bytes > 0),
    sha256       text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    created_at   timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX answer_attachments_request_idx ON answer_attachments (request_id, id);

-- Inspectors' visits to the agency about a request.
CREATE TABLE inspection_visits (
    id          bigserial PRIMARY KEY,
    request_id  bigint NOT NULL REFERENCES requests (id),
    agency_id   int NOT NULL REFERENCES agencies (id),
    user_id     int NOT NULL REFERENCES users (id),
    visited_on  date NOT NULL,
    findings    text NOT NULL CHECK (char_length(findings) BETWEEN 1 AND 10000),
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX inspection_visits_request_idx ON inspection_visits (request_id, id);

-- Notices in the agency portal (reminders before the deadline, requests sent back).
-- `dedup_key` makes a job that runs twice write one notice.
CREATE TABLE agency_notifications (
    id         bigserial PRIMARY KEY,
    agency_id  int NOT NULL REFERENCES agencies (id),
    request_id bigint NULL REFERENCES requests (id),
    kind       text NOT NULL CHECK (kind ~ '^[a-z][a-z0-9_]{1,39}$'),
    subject    text NOT NULL CHECK (char_length(subject) BETWEEN 1 AND 500),
    body       text NOT NULL DEFAULT '' CHECK (char_length(body) <= 4000),
    dedup_key  text NULL UNIQUE,
    created_at timestamptz NOT NULL DEFAULT now(),
    read_at    timestamptz NULL
);

CREATE INDEX agency_notifications_agency_idx ON agency_notifications (agency_id, id DESC);
