-- 0024_reliability: nothing lost silently (issue 14).
--
-- 1. A call is identified by the Asterisk node (`systemname` in asterisk.conf) and its
--    uniqueid: two provinces' servers count uniqueids independently, and a merge on the
--    uniqueid alone would silently join two citizens' calls.  Existing rows keep their
--    uniqueid and get the empty systemname (the node that had none set).
-- 2. A call carries the faults that hit it (recordings directory unwritable or full,
--    recording missing/empty/a bare header, message unreadable, finaliser gave up).
-- 3. The recording finaliser counts its tries per row, waits longer after each failure
--    (so a stuck row never holds back newer ones) and gives up after a bound.
-- 4. Every scheduled job run is recorded with the instance that ran it (the leader).

ALTER TABLE calls ADD COLUMN systemname text NOT NULL DEFAULT ''
    CONSTRAINT calls_systemname_format CHECK (systemname ~ '^[A-Za-z0-9._-]{0,64}$');
ALTER TABLE calls DROP CONSTRAINT calls_uniqueid_key;
ALTER TABLE calls ADD CONSTRAINT calls_node_uniqueid_key UNIQUE (systemname, uniqueid);
-- Lookups by uniqueid alone (status lookups, satisfaction callbacks) stay indexed.
CREATE INDEX calls_uniqueid_idx ON calls (uniqueid);

CREATE TABLE call_faults (
    id         bigserial PRIMARY KEY,
    call_id    bigint NOT NULL REFERENCES calls (id),
    kind       text NOT NULL CHECK (kind IN (
        'recording_dir', 'recording_missing', 'recording_empty', 'recording_unreadable',
        'recording_gave_up', 'message_unreadable')),
    detail     text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (call_id, kind)
);

ALTER TABLE recordings
    ADD COLUMN attempts        int NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    ADD COLUMN last_error      text NULL,
    ADD COLUMN next_attempt_at timestamptz NOT NULL DEFAULT now(),
    ADD COLUMN gave_up_at      timestamptz NULL;

CREATE INDEX recordings_due_idx ON recordings (next_attempt_at, id)
    WHERE finished_at IS NULL AND gave_up_at IS NULL;

CREATE TABLE job_runs (
    id          bigserial PRIMARY KEY,
    job         text NOT NULL,
    instance    text NOT NULL,
    started_at  timestamptz NOT NULL DEFAULT now(),
    finished_at timestamptz NULL,
    error       text NULL
);

CREATE INDEX job_runs_job_idx ON job_runs (job, started_at DESC);

-- 5. Asterisk's own record of every call, written by cel_pgsql (cel.conf: events =
--    USER_DEFINED).  The hangup handler emits SAMAD_REPORT with the same channel fields
--    post_call reads, before calling the service: a call the service never stored (it
--    was killed meanwhile) is found here and stored by the reconciliation job.
--    cel_pgsql fills the columns it knows by name (id gets its default); usegmtime = yes
--    makes eventtime UTC.  Asterisk's database user needs only INSERT on this table.
CREATE TABLE cel (
    id          bigserial PRIMARY KEY,
    eventtype   text NOT NULL,
    eventtime   timestamp NOT NULL,
    userdeftype text NULL,
    cid_name    text NULL,
    cid_num     text NULL,
    cid_ani     text NULL,
    cid_rdnis   text NULL,
    cid_dnid    text NULL,
    exten       text NULL,
    context     text NULL,
    channame    text NULL,
    appname     text NULL,
    appdata     text NULL,
    amaflags    int NULL,
    accountcode text NULL,
    peeraccount text NULL,
    uniqueid    text NULL,
    linkedid    text NULL,
    userfield   text NULL,
    peer        text NULL,
    extra       text NULL
);

CREATE INDEX cel_event_time_idx ON cel (eventtype, eventtime);
