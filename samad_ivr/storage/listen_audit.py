"""The append-only record of who played, downloaded or listened in to which call, plus
the lookups playback needs (a recording with its call's center) and listeners' endpoints.

The table refuses UPDATE, DELETE and TRUNCATE (trigger in 0006); this module only inserts
and reads.  An insert that fails raises, and callers must then send nothing.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

import asyncpg

from samad_ivr.storage.db import Pool, StorageError, connection

__all__ = [
    "AuditEntry",
    "ListenAction",
    "ListenAuditRepository",
    "ListenerEndpoint",
    "NewAuditEntry",
    "RecordingRef",
    "valid_listen_endpoint",
]

# Same rule as officials.desk_endpoint (0001) and the CHECK in 0006.
_ENDPOINT_RE = re.compile(r"(PJSIP|SIP|IAX2|Local)/[A-Za-z0-9_.@+-]+(/n)?")


def valid_listen_endpoint(text: str) -> bool:
    return bool(_ENDPOINT_RE.fullmatch(text))


class ListenAction(StrEnum):
    PLAY = "play"
    DOWNLOAD = "download"
    LISTEN_LIVE = "listen_live"


@dataclass(frozen=True, slots=True)
class NewAuditEntry:
    user_id: int
    username: str
    role: str
    action: ListenAction
    call_id: int
    center_id: int | None
    ip: str
    user_agent: str
    recording_id: int | None = None
    byte_range: str | None = None
    endpoint: str | None = None  # the phone a live listen-in rang (0021)


@dataclass(frozen=True, slots=True)
class AuditEntry:
    id: int
    at: datetime
    user_id: int
    username: str
    role: str
    action: ListenAction
    call_id: int
    recording_id: int | None
    center_id: int | None
    center_name: str | None
    ip: str
    user_agent: str
    byte_range: str | None
    endpoint: str | None = None  # the phone a live listen-in rang


@dataclass(frozen=True, slots=True)
class RecordingRef:
    id: int
    call_id: int
    center_id: int | None
    kind: str
    path: str
    sha256: str | None
    finished: bool


INSERT_SQL = """
INSERT INTO listen_audit (user_id, username, role, action, recording_id, call_id, center_id,
                          ip, user_agent, byte_range, endpoint)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
RETURNING id
"""

LIST_SQL = """
SELECT a.id, a.at, a.user_id, a.username, a.role, a.action, a.call_id, a.recording_id,
       a.center_id, ce.name AS center_name, a.ip, a.user_agent, a.byte_range, a.endpoint
FROM listen_audit a LEFT JOIN centers ce ON ce.id = a.center_id
WHERE ($1::int IS NULL OR a.center_id = $1)
  AND ($2::bigint IS NULL OR a.id < $2)
ORDER BY a.id DESC
LIMIT $3
"""

RECORDING_SQL = """
SELECT rec.id, rec.call_id, c.center_id, rec.kind, rec.path, rec.sha256,
       rec.finished_at IS NOT NULL AS finished
FROM recordings rec JOIN calls c ON c.id = rec.call_id
WHERE rec.id = $1
"""

GET_ENDPOINT_SQL = "SELECT listen_endpoint FROM user_listen_endpoints WHERE user_id = $1"

SET_ENDPOINT_SQL = """
INSERT INTO user_listen_endpoints (user_id, listen_endpoint) VALUES ($1, $2)
ON CONFLICT (user_id) DO UPDATE SET listen_endpoint = EXCLUDED.listen_endpoint,
                                    updated_at = now()
"""


LISTENERS_SQL = """
SELECT u.id, u.username, u.full_name, u.role, e.listen_endpoint, e.updated_at
FROM users u LEFT JOIN user_listen_endpoints e ON e.user_id = u.id
WHERE u.is_active
  AND ($1::int IS NULL OR u.id = $1)
  AND ($2::text[] IS NULL OR u.role = ANY($2))
ORDER BY u.username
"""


@dataclass(frozen=True, slots=True)
class ListenerEndpoint:
    """An active user and the phone a listen-in rings for them (None: not set)."""

    user_id: int
    username: str
    full_name: str
    role: str
    endpoint: str | None
    updated_at: datetime | None


class AuditWriteFailed(StorageError):
    """The audit row could not be written; nothing may be sent."""


def _entry(r: asyncpg.Record) -> AuditEntry:
    return AuditEntry(
        id=r["id"], at=r["at"], user_id=r["user_id"], username=r["username"], role=r["role"],
        action=ListenAction(r["action"]), call_id=r["call_id"], recording_id=r["recording_id"],
        center_id=r["center_id"], center_name=r["center_name"], ip=r["ip"],
        user_agent=r["user_agent"], byte_range=r["byte_range"], endpoint=r["endpoint"],
    )  # fmt: skip


class ListenAuditRepository:
    def __init__(self, pool: Pool) -> None:
        self._pool = pool

    async def record(self, entry: NewAuditEntry) -> int:
        """Insert one row; raises `AuditWriteFailed` (or `StorageUnavailable`) on failure."""
        async with connection(self._pool) as conn:
            try:
                audit_id: int = await conn.fetchval(
                    INSERT_SQL, entry.user_id, entry.username, entry.role, entry.action.value,
                    entry.recording_id, entry.call_id, entry.center_id, entry.ip,
                    entry.user_agent[:512], entry.byte_range, entry.endpoint,
                )  # fmt: skip
            except asyncpg.PostgresError as exc:
                raise AuditWriteFailed(f"listen audit insert failed: {exc}") from exc
        return audit_id

    async def entries(
        self, *, center_id: int | None, before_id: int | None, limit: int = 100
    ) -> list[AuditEntry]:
        """Newest first; `center_id` None means every center (national roles)."""
        async with connection(self._pool) as conn:
            rows = await conn.fetch(LIST_SQL, center_id, before_id, limit)
        return [_entry(r) for r in rows]

    async def recording(self, recording_id: int) -> RecordingRef | None:
        async with connection(self._pool) as conn:
            r = await conn.fetchrow(RECORDING_SQL, recording_id)
        if r is None:
            return None
        return RecordingRef(
            r["id"], r["call_id"], r["center_id"], r["kind"], r["path"], r["sha256"], r["finished"]
        )

    async def listen_endpoint(self, user_id: int) -> str | None:
        async with connection(self._pool) as conn:
            value: str | None = await conn.fetchval(GET_ENDPOINT_SQL, user_id)
        return value

    async def listener_endpoints(
        self, *, user_id: int | None = None, roles: Collection[str] | None = None
    ) -> list[ListenerEndpoint]:
        """Active users (one, or those holding `roles`) with their endpoints, by name."""
        async with connection(self._pool) as conn:
            rows = await conn.fetch(
                LISTENERS_SQL, user_id, None if roles is None else sorted(roles)
            )
        return [
            ListenerEndpoint(
                r["id"], r["username"], r["full_name"], r["role"], r["listen_endpoint"],
                r["updated_at"],
            )
            for r in rows
        ]  # fmt: skip

    async def set_listen_endpoint(self, user_id: int, endpoint: str) -> None:
        if not valid_listen_endpoint(endpoint):
            raise StorageError(f"invalid listen endpoint {endpoint!r}")
        async with connection(self._pool) as conn:
            await conn.execute(SET_ENDPOINT_SQL, user_id, endpoint)
