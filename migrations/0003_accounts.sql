-- 0003_accounts: console users and roles, server-side sessions, login attempt log.
-- Forward only. National roles (superuser, national_listener) have no center; every
-- other role belongs to exactly one province center.

CREATE TABLE users (
    id                  serial PRIMARY KEY,
    username            text NOT NULL UNIQUE
        CONSTRAINT users_username_format CHECK (username ~ '^[a-z0-9][a-z0-9_.-]{2,63}$'),
    full_name           text NOT NULL DEFAULT ''
        CONSTRAINT users_full_name_length CHECK (char_length(full_name) <= 200),
    role                text NOT NULL
        CONSTRAINT users_role_known CHECK (role IN ('superuser', 'province_admin', 'official',
                                                    'agency_staff', 'inspector',
                                                    'national_listener')),
    center_id           int NULL REFERENCES centers (id),
    official_id         int NULL,
    agency_id           int NULL,
    password_hash       text NOT NULL,
    is_active           boolean NOT NULL DEFAULT true,
    created_at          timestamptz NOT NULL DEFAULT now(),
    password_changed_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT users_center_matches_role CHECK (
        (role IN ('superuser', 'national_listener')) = (center_id IS NULL)),
    -- An official's or agency's account stays inside that official's or agency's center.
    FOREIGN KEY (official_id, center_id) REFERENCES officials (id, center_id),
    FOREIGN KEY (agency_id, center_id) REFERENCES agencies (id, center_id)
);

CREATE INDEX users_center_idx ON users (center_id);

-- The cookie carries a random token; only its SHA-256 is stored.
CREATE TABLE web_sessions (
    token_hash  bytea PRIMARY KEY CONSTRAINT web_sessions_hash_length
        CHECK (octet_length(token_hash) = 32),
    user_id     int NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,
    client_ip   text NOT NULL,
    CONSTRAINT web_sessions_expiry CHECK (expires_at > created_at)
);

CREATE INDEX web_sessions_user_idx ON web_sessions (user_id);
CREATE INDEX web_sessions_expires_idx ON web_sessions (expires_at);

-- Every login attempt, for throttling (per username and per client address) and audit.
-- `username` is what was typed (normalised), not a reference: unknown names count too.
CREATE TABLE login_attempts (
    id           bigserial PRIMARY KEY,
    username     text NOT NULL,
    client_ip    text NOT NULL,
    outcome      text NOT NULL
        CONSTRAINT login_attempts_outcome_known
        CHECK (outcome IN ('success', 'failure', 'throttled')),
    attempted_at timestamptz NOT NULL DEFAULT clock_timestamp()
);

CREATE INDEX login_attempts_username_idx ON login_attempts (username, attempted_at);
CREATE INDEX login_attempts_ip_idx ON login_attempts (client_ip, attempted_at)
    WHERE outcome = 'failure';
