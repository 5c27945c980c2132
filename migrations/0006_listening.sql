-- 0006_listening: national search indexes, recording/listen audit, listeners' endpoints.
-- Forward only.

-- Keyset pagination over calls: newest first, ties broken by id.  Every list is
-- `ORDER BY started_at DESC, id DESC` with `(started_at, id) < ($cursor)`, so each
-- filter that a province or the national office uses often gets its own leading column.
CREATE INDEX calls_started_id_idx ON calls (started_at DESC, id DESC);
CREATE INDEX calls_center_started_id_idx ON calls (center_id, started_at DESC, id DESC);
CREATE INDEX calls_official_started_id_idx ON calls (official_id, started_at DESC, id DESC)
    WHERE official_id IS NOT NULL;
CREATE INDEX calls_caller_started_id_idx ON calls (caller_e164, started_at DESC, id DESC);
-- live calls (listen-in): few rows
CREATE INDEX calls_live_idx ON calls (started_at DESC) WHERE ended_at IS NULL;

CREATE INDEX requests_agency_call_idx ON requests (agency_id, call_id);
CREATE INDEX requests_status_call_idx ON requests (status, call_id);

-- Who played, downloaded or listened in to what.  Append-only: the app's own role owns
-- the table in development, so REVOKE cannot stop it; the trigger does.
CREATE TABLE listen_audit (
    id           bigserial PRIMARY KEY,
    at           timestamptz NOT NULL DEFAULT clock_timestamp(),
    user_id      int NOT NULL REFERENCES users (id),
    username     text NOT NULL,
    role         text NOT NULL,
    action       text NOT NULL
        CONSTRAINT listen_audit_action_known CHECK (action IN ('play', 'download', 'listen_live')),
    recording_id bigint NULL REFERENCES recordings (id),
    call_id      bigint NOT NULL REFERENCES calls (id),
    -- the call's center at the time, so a province admin's audit view needs no join
    center_id    int NULL REFERENCES centers (id),
    ip           text NOT NULL,
    user_agent   text NOT NULL DEFAULT ''
        CONSTRAINT listen_audit_user_agent_length CHECK (char_length(user_agent) <= 512),
    byte_range   text NULL,
    CONSTRAINT listen_audit_recording_for_playback
        CHECK ((action = 'listen_live') = (recording_id IS NULL))
);

CREATE INDEX listen_audit_at_idx ON listen_audit (at DESC, id DESC);
CREATE INDEX listen_audit_center_at_idx ON listen_audit (center_id, at DESC, id DESC);
CREATE INDEX listen_audit_call_idx ON listen_audit (call_id);

CREATE FUNCTION listen_audit_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'listen_audit is append-only (% refused)', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$;

CREATE TRIGGER listen_audit_no_update_delete
    BEFORE UPDATE OR DELETE ON listen_audit
    FOR EACH ROW EXECUTE FUNCTION listen_audit_append_only();

CREATE TRIGGER listen_audit_no_truncate
    BEFORE TRUNCATE ON listen_audit
    FOR EACH STATEMENT EXECUTE FUNCTION listen_audit_append_only();

-- Per-user extension: the SIP endpoint a live listen-in rings.  Interpolated into an
-- AMI Originate's Channel, so only a technology/resource, validated like desk endpoints.
CREATE TABLE user_listen_endpoints (
    user_id         int PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    listen_endpoint text NOT NULL
        CONSTRAINT user_listen_endpoint_format
        CHECK (listen_endpoint ~ '^(PJSIP|SIP|IAX2|Local)/[A-Za-z0-9_.@+-]+(/n)?$'),
    updated_at      timestamptz NOT NULL DEFAULT now()
);
