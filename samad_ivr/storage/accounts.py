"""Console users, their server-side sessions and the login attempt log.

Session tokens never reach the database: callers pass the SHA-256 of the cookie value.
Password hashes are opaque strings here (argon2 lives in the web layer).  With a
`SessionCache` (the web app passes one) `session_user` answers from a copy a few seconds
old at most; every method here that deletes a session or changes a user drops the copy
before it returns, and a new one must do the same.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

import asyncpg

from samad_ivr.domain.login_throttle import FailureCounts, Verdict, decide
from samad_ivr.storage.audit_actor import audited
from samad_ivr.storage.db import Pool, StorageError, connection, require_aware
from samad_ivr.storage.session_cache import SessionCache


class Role(StrEnum):
    SUPERUSER = "superuser"
    PROVINCE_ADMIN = "province_admin"
    OFFICIAL = "official"
    AGENCY_STAFF = "agency_staff"
    INSPECTOR = "inspector"
    NATIONAL_LISTENER = "national_listener"


NATIONAL_ROLES: frozenset[Role] = frozenset({Role.SUPERUSER, Role.NATIONAL_LISTENER})

USERNAME_RE = re.compile(r"[a-z0-9][a-z0-9_.-]{2,63}")  # use fullmatch


@dataclass(frozen=True, slots=True)
class User:
    id: int
    username: str
    full_name: str
    role: Role
    center_id: int | None
    official_id: int | None
    agency_id: int | None

    @property
    def is_national(self) -> bool:
        return self.role in NATIONAL_ROLES

    def sees_center(self, center_id: int) -> bool:
        """National roles see every center; everyone else only their own."""
        return self.is_national or (self.center_id is not None and self.center_id == center_id)


@dataclass(frozen=True, slots=True)
class NewUser:
    username: str
    full_name: str
    role: Role
    center_id: int | None = None
    official_id: int | None = None
    agency_id: int | None = None


class AccountError(StorageError):
    """A user cannot be created as asked (duplicate name, wrong center, ...)."""


class LoginOutcome(StrEnum):
    SUCCESS = "success"
    FAILURE = "failure"
    THROTTLED = "throttled"


_USER_COLUMNS = "u.id, u.username, u.full_name, u.role, u.center_id, u.official_id, u.agency_id"

INSERT_USER_SQL = f"""
INSERT INTO users AS u (username, full_name, role, center_id, official_id, agency_id,
                        password_hash)
VALUES ($1, $2, $3, $4, $5, $6, $7)
RETURNING {_USER_COLUMNS}
"""

CREDENTIALS_SQL = f"""
SELECT {_USER_COLUMNS}, u.password_hash FROM users u WHERE u.username = $1 AND u.is_active
"""

SET_PASSWORD_SQL = "UPDATE users SET password_hash = $2, password_changed_at = now() WHERE id = $1"

COUNT_ROLE_SQL = "SELECT count(*) FROM users WHERE role = $1 AND is_active"

CENTER_ID_SQL = "SELECT id FROM centers WHERE code = $1"

INSERT_SESSION_SQL = """
INSERT INTO web_sessions (token_hash, user_id, expires_at, client_ip) VALUES ($1, $2, $3, $4)
"""

SESSION_USER_SQL = f"""
SELECT {_USER_COLUMNS}, s.expires_at
FROM web_sessions s JOIN users u ON u.id = s.user_id
WHERE s.token_hash = $1 AND s.expires_at > now() AND u.is_active
"""

DELETE_SESSION_SQL = "DELETE FROM web_sessions WHERE token_hash = $1"

PURGE_SESSIONS_SQL = "DELETE FROM web_sessions WHERE expires_at <= now()"

PURGE_ATTEMPTS_SQL = "DELETE FROM login_attempts WHERE attempted_at < $1"

INSERT_ATTEMPT_SQL = """
INSERT INTO login_attempts (username, client_ip, outcome) VALUES ($1, $2, $3)
"""

# Counted under advisory locks on the username and on the address, and the attempt is
# recorded (as a failure until the password proves right) in the same transaction: of
# parallel guesses, only as many as the limit allows get to check a password.
LOCK_ATTEMPT_SQL = """
SELECT pg_advisory_xact_lock(hashtextextended('samad-login-user:' || $1, 0)),
       pg_advisory_xact_lock(hashtextextended('samad-login-ip:' || $2, 0))
"""

# A success ends the run of failures of its username (and of its pair); a success from
# an address does not clear that address (one valid account must not unlock guessing at
# the others).  Attempts are kept 30 days, so "usual" means "logged in from there lately".
# Every count reads a partial index (0003, 0022): throttled rows an attacker piles up
# are never scanned.
FAILURE_COUNTS_SQL = """
WITH last_ok AS (
  SELECT
    (SELECT max(attempted_at) FROM login_attempts
     WHERE username = $1 AND outcome = 'success') AS any_ip,
    (SELECT max(attempted_at) FROM login_attempts
     WHERE username = $1 AND client_ip = $2 AND outcome = 'success') AS this_ip
)
SELECT
  (SELECT count(*) FROM login_attempts a, last_ok
   WHERE a.username = $1 AND a.outcome = 'failure' AND a.client_ip = $2
     AND a.attempted_at > $3 AND a.attempted_at > coalesce(last_ok.this_ip, '-infinity'))
    AS pair,
  (SELECT count(*) FROM login_attempts a
   WHERE a.client_ip = $2 AND a.outcome = 'failure' AND a.attempted_at > $3) AS address,
  (SELECT count(*) FROM login_attempts a, last_ok
   WHERE a.username = $1 AND a.outcome = 'failure'
     AND a.attempted_at > $3 AND a.attempted_at > coalesce(last_ok.any_ip, '-infinity'))
    AS username,
  (SELECT this_ip IS NOT NULL FROM last_ok) AS usual_address
"""

INSERT_GATED_ATTEMPT_SQL = """
INSERT INTO login_attempts (username, client_ip, outcome) VALUES ($1, $2, $3) RETURNING id
"""

MARK_SUCCESS_SQL = "UPDATE login_attempts SET outcome = 'success' WHERE id = $1"


@dataclass(frozen=True, slots=True)
class LoginGate:
    verdict: Verdict
    counts: FailureCounts
    attempt_id: int  # recorded as a failure (or throttled); `login_succeeded` corrects it


def _user(row: asyncpg.Record) -> User:
    return User(
        id=row["id"],
        username=row["username"],
        full_name=row["full_name"],
        role=Role(row["role"]),
        center_id=row["center_id"],
        official_id=row["official_id"],
        agency_id=row["agency_id"],
    )


def validate_new_user(new: NewUser) -> None:
    """Raise `AccountError` unless `new` describes a user the schema will accept."""
    if not USERNAME_RE.fullmatch(new.username):
        raise AccountError(
            "username must be 3-64 characters: lowercase latin letters, digits, '_', '.', '-'"
        )
    if len(new.full_name) > 200:
        raise AccountError("full name is longer than 200 characters")
    if new.role in NATIONAL_ROLES and new.center_id is not None:
        raise AccountError(f"role {new.role} is national and takes no center")
    if new.role not in NATIONAL_ROLES and new.center_id is None:
        raise AccountError(f"role {new.role} needs a center")


SET_ACTIVE_SQL = "UPDATE users SET is_active = $2 WHERE id = $1"


class AccountRepository:
    def __init__(self, pool: Pool, sessions: SessionCache[User] | None = None) -> None:
        self._pool = pool
        self._sessions = sessions

    async def center_id(self, code: str) -> int | None:
        async with connection(self._pool) as conn:
            value: int | None = await conn.fetchval(CENTER_ID_SQL, code)
            return value

    async def create_user(self, new: NewUser, password_hash: str) -> User:
        validate_new_user(new)
        async with audited(self._pool) as conn:
            try:
                row = await conn.fetchrow(
                    INSERT_USER_SQL,
                    new.username,
                    new.full_name,
                    new.role.value,
                    new.center_id,
                    new.official_id,
                    new.agency_id,
                    password_hash,
                )
            except asyncpg.UniqueViolationError as exc:
                raise AccountError(f"username {new.username!r} is taken") from exc
            except asyncpg.ForeignKeyViolationError as exc:
                raise AccountError(
                    "center, official or agency does not exist (or is in another center)"
                ) from exc
            except asyncpg.CheckViolationError as exc:
                raise AccountError(f"user rejected by the schema: {exc.constraint_name}") from exc
        assert row is not None
        return _user(row)

    async def count_with_role(self, role: Role) -> int:
        async with connection(self._pool) as conn:
            value: int = await conn.fetchval(COUNT_ROLE_SQL, role.value)
            return value

    async def credentials(self, username: str) -> tuple[User, str] | None:
        """The active user called `username` and their password hash."""
        async with connection(self._pool) as conn:
            row = await conn.fetchrow(CREDENTIALS_SQL, username)
        return None if row is None else (_user(row), row["password_hash"])

    async def set_password_hash(self, user_id: int, password_hash: str) -> None:
        async with audited(self._pool) as conn:
            await conn.execute(SET_PASSWORD_SQL, user_id, password_hash)
        self._forget_user(user_id)

    async def set_active(self, user_id: int, active: bool) -> None:
        """Enable or disable an account; a disabled user's sessions stop working at once."""
        async with audited(self._pool) as conn:
            await conn.execute(SET_ACTIVE_SQL, user_id, active)
        self._forget_user(user_id)

    def _forget_user(self, user_id: int) -> None:
        if self._sessions is not None:
            self._sessions.forget_user(user_id)

    async def create_session(
        self, token_hash: bytes, user_id: int, expires_at: datetime, client_ip: str
    ) -> None:
        require_aware(expires_at, "expires_at")
        async with connection(self._pool) as conn:
            await conn.execute(INSERT_SESSION_SQL, token_hash, user_id, expires_at, client_ip)

    async def session_user(self, token_hash: bytes) -> User | None:
        cache = self._sessions
        if cache is not None and (cached := cache.get(token_hash)) is not None:
            return cached
        generation = cache.generation if cache is not None else 0
        async with connection(self._pool) as conn:
            row = await conn.fetchrow(SESSION_USER_SQL, token_hash)
        if row is None:
            return None
        user = _user(row)
        if cache is not None:
            cache.put(token_hash, user.id, user, row["expires_at"], generation)
        return user

    async def delete_session(self, token_hash: bytes) -> None:
        async with connection(self._pool) as conn:
            await conn.execute(DELETE_SESSION_SQL, token_hash)
        if self._sessions is not None:
            self._sessions.forget_session(token_hash)

    async def record_attempt(self, username: str, client_ip: str, outcome: LoginOutcome) -> None:
        async with connection(self._pool) as conn:
            await conn.execute(INSERT_ATTEMPT_SQL, username, client_ip, outcome.value)

    async def gate_attempt(
        self, username: str, client_ip: str, since: datetime, limit: int
    ) -> LoginGate:
        """Count earlier failures, decide, and record this attempt, atomically."""
        require_aware(since, "since")
        async with connection(self._pool) as conn, conn.transaction():
            await conn.execute(LOCK_ATTEMPT_SQL, username, client_ip)
            row = await conn.fetchrow(FAILURE_COUNTS_SQL, username, client_ip, since)
            assert row is not None
            counts = FailureCounts(
                pair=row["pair"],
                address=row["address"],
                username=row["username"],
                usual_address=bool(row["usual_address"]),
            )
            verdict = decide(counts, limit)
            outcome = LoginOutcome.THROTTLED if verdict is Verdict.REFUSE else LoginOutcome.FAILURE
            attempt_id: int = await conn.fetchval(
                INSERT_GATED_ATTEMPT_SQL, username, client_ip, outcome.value
            )
        return LoginGate(verdict, counts, attempt_id)

    async def login_succeeded(self, attempt_id: int) -> None:
        """The password of a gated attempt was right: it ends the run of failures."""
        async with connection(self._pool) as conn:
            await conn.execute(MARK_SUCCESS_SQL, attempt_id)

    async def purge(self, attempts_before: datetime) -> None:
        """Drop expired sessions and login attempts older than `attempts_before`."""
        require_aware(attempts_before, "attempts_before")
        async with connection(self._pool) as conn:
            await conn.execute(PURGE_SESSIONS_SQL)
            await conn.execute(PURGE_ATTEMPTS_SQL, attempts_before)
