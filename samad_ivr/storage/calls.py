"""Calls and their recordings."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Literal

import asyncpg

from samad_ivr.storage.db import Pool, connection, require_aware
from samad_ivr.storage.group_writer import GroupWriter

Disposition = Literal["answered", "message", "abandoned", "failed", "busy", "no_answer"]
Route = Literal["desk", "deputy", "queue", "closed", "fallback", "satisfaction", "callback"]
RecordingKind = Literal["call", "message"]

# Merge rules, so that AGI, hangup handler and AMI events can report in any order:
# - who/where (linkedid, center, caller fields): the first known value is kept;
# - started_at, answered_at: the earliest known value (LEAST ignores NULLs);
# - identity: the node (asterisk.conf systemname, '' when unset) and its uniqueid;
# - outcome (ended_at, disposition, route, official, queue wait): the latest non-NULL wins.
# In every case a NULL never erases a known value.
_CALL_COLUMNS = """systemname, uniqueid, linkedid, center_id, caller_raw, caller_name_raw,
                   caller_e164, started_at, answered_at, ended_at, disposition, route, official_id,
                   queue_wait_seconds"""

_MERGE_CALL = """ON CONFLICT (systemname, uniqueid) DO UPDATE SET
    linkedid           = COALESCE(calls.linkedid, EXCLUDED.linkedid),
    center_id          = COALESCE(calls.center_id, EXCLUDED.center_id),
    caller_raw         = calls.caller_raw,
    caller_name_raw    = COALESCE(calls.caller_name_raw, EXCLUDED.caller_name_raw),
    caller_e164        = COALESCE(calls.caller_e164, EXCLUDED.caller_e164),
    started_at         = LEAST(calls.started_at, EXCLUDED.started_at),
    answered_at        = LEAST(calls.answered_at, EXCLUDED.answered_at),
    ended_at           = COALESCE(EXCLUDED.ended_at, calls.ended_at),
    disposition        = COALESCE(EXCLUDED.disposition, calls.disposition),
    route              = COALESCE(EXCLUDED.route, calls.route),
    official_id        = COALESCE(EXCLUDED.official_id, calls.official_id),
    queue_wait_seconds = COALESCE(EXCLUDED.queue_wait_seconds, calls.queue_wait_seconds)"""

UPSERT_CALL_SQL = f"""
INSERT INTO calls ({_CALL_COLUMNS})
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
{_MERGE_CALL}
RETURNING id
"""

# Several calls in one statement (GroupWriter), merged by exactly the same rules.
UPSERT_CALLS_SQL = f"""
INSERT INTO calls ({_CALL_COLUMNS})
SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::int[], $5::text[], $6::text[],
                     $7::text[], $8::timestamptz[], $9::timestamptz[], $10::timestamptz[],
                     $11::text[], $12::text[], $13::int[], $14::numeric[])
{_MERGE_CALL}
RETURNING systemname, uniqueid, id
"""

GET_CALL_SQL = """
SELECT id, systemname, uniqueid, linkedid, center_id, caller_raw, caller_name_raw, caller_e164,
       started_at, answered_at, ended_at, disposition, route, official_id,
       queue_wait_seconds, created_at
FROM calls WHERE uniqueid = $1 AND systemname = $2
"""

# Re-adding a recording (post-processing finished, file re-hashed) updates it in place.
ADD_RECORDING_SQL = """
INSERT INTO recordings (call_id, kind, path, duration_seconds, size_bytes, sha256, finished_at)
VALUES ($1, $2, $3, $4, $5, $6, $7)
ON CONFLICT (call_id, kind) DO UPDATE SET
    path             = EXCLUDED.path,
    duration_seconds = COALESCE(EXCLUDED.duration_seconds, recordings.duration_seconds),
    size_bytes       = COALESCE(EXCLUDED.size_bytes, recordings.size_bytes),
    sha256           = COALESCE(EXCLUDED.sha256, recordings.sha256),
    finished_at      = COALESCE(EXCLUDED.finished_at, recordings.finished_at)
RETURNING id
"""

# Notes a recording before it is finalised; never touches an existing row.  The sweep
# leaves it alone for $4 seconds, while the live finalisation waits for the file.
ADD_PENDING_RECORDING_SQL = """
INSERT INTO recordings (call_id, kind, path, next_attempt_at)
VALUES ($1, $2, $3, now() + make_interval(secs => $4))
ON CONFLICT (call_id, kind) DO UPDATE SET path = recordings.path
RETURNING id
"""

PENDING_RECORDINGS_SQL = """
SELECT id, call_id, kind, path, duration_seconds, size_bytes, sha256, finished_at, created_at
FROM recordings WHERE finished_at IS NULL
ORDER BY created_at, id
LIMIT $1
"""

RECORDINGS_FOR_SQL = """
SELECT id, call_id, kind, path, duration_seconds, size_bytes, sha256, finished_at, created_at
FROM recordings WHERE call_id = $1
ORDER BY kind, id
"""


@dataclass(frozen=True, slots=True, kw_only=True)
class CallUpsert:
    """What one observer knows about a call; unknown fields stay None."""

    uniqueid: str
    systemname: str = ""  # asterisk.conf's systemname of the node that saw the call
    linkedid: str | None = None
    center_id: int | None = None
    caller_raw: str
    caller_name_raw: str | None = None
    caller_e164: str | None = None
    started_at: datetime
    answered_at: datetime | None = None
    ended_at: datetime | None = None
    disposition: Disposition | None = None
    route: Route | None = None
    official_id: int | None = None
    queue_wait_seconds: float | None = None


@dataclass(frozen=True, slots=True)
class CallRow:
    id: int
    systemname: str
    uniqueid: str
    linkedid: str | None
    center_id: int | None
    caller_raw: str
    caller_name_raw: str | None
    caller_e164: str | None
    started_at: datetime
    answered_at: datetime | None
    ended_at: datetime | None
    disposition: Disposition | None
    route: Route | None
    official_id: int | None
    queue_wait_seconds: float | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class RecordingRow:
    id: int
    call_id: int
    kind: RecordingKind
    path: str  # relative to the recordings directory
    duration_seconds: float | None
    size_bytes: int | None
    sha256: str | None
    finished_at: datetime | None
    created_at: datetime


def _float(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def _identity(c: CallUpsert) -> tuple[str, str]:
    return c.systemname, c.uniqueid


def _upsert_values(c: CallUpsert) -> tuple[object, ...]:
    return (
        c.systemname,
        c.uniqueid,
        c.linkedid,
        c.center_id,
        c.caller_raw,
        c.caller_name_raw,
        c.caller_e164,
        c.started_at,
        c.answered_at,
        c.ended_at,
        c.disposition,
        c.route,
        c.official_id,
        c.queue_wait_seconds,
    )


def _call(r: asyncpg.Record) -> CallRow:
    return CallRow(
        id=r["id"],
        systemname=r["systemname"],
        uniqueid=r["uniqueid"],
        linkedid=r["linkedid"],
        center_id=r["center_id"],
        caller_raw=r["caller_raw"],
        caller_name_raw=r["caller_name_raw"],
        caller_e164=r["caller_e164"],
        started_at=r["started_at"],
        answered_at=r["answered_at"],
        ended_at=r["ended_at"],
        disposition=r["disposition"],
        route=r["route"],
        official_id=r["official_id"],
        queue_wait_seconds=_float(r["queue_wait_seconds"]),
        created_at=r["created_at"],
    )


def _recording(r: asyncpg.Record) -> RecordingRow:
    return RecordingRow(
        id=r["id"],
        call_id=r["call_id"],
        kind=r["kind"],
        path=r["path"],
        duration_seconds=_float(r["duration_seconds"]),
        size_bytes=r["size_bytes"],
        sha256=r["sha256"],
        finished_at=r["finished_at"],
        created_at=r["created_at"],
    )


class CallRepository:
    def __init__(self, pool: Pool) -> None:
        self._pool = pool
        self._upserts: GroupWriter[CallUpsert, int] = GroupWriter(
            write_one=self._upsert_one, write_many=self._upsert_many, key=_identity
        )

    async def upsert_call(self, c: CallUpsert) -> int:
        """Insert or merge what `c` knows about the call (see the merge rules); return its id.

        Upserts made at the same moment share one statement (group commit).
        """
        require_aware(c.started_at, "started_at")
        for name, value in (("answered_at", c.answered_at), ("ended_at", c.ended_at)):
            if value is not None:
                require_aware(value, name)
        return await self._upserts.write(c)

    async def _upsert_one(self, c: CallUpsert) -> int:
        async with connection(self._pool) as conn:
            call_id = await conn.fetchval(UPSERT_CALL_SQL, *_upsert_values(c))
        return int(call_id)

    async def _upsert_many(self, calls: Sequence[CallUpsert]) -> list[int]:
        columns = list(zip(*(_upsert_values(c) for c in calls), strict=True))
        async with connection(self._pool) as conn:
            rows = await conn.fetch(UPSERT_CALLS_SQL, *columns)
        ids = {(r["systemname"], r["uniqueid"]): int(r["id"]) for r in rows}
        return [ids[_identity(c)] for c in calls]

    async def get_call(self, uniqueid: str, systemname: str = "") -> CallRow | None:
        async with connection(self._pool) as conn:
            r = await conn.fetchrow(GET_CALL_SQL, uniqueid, systemname)
        return None if r is None else _call(r)

    async def add_recording(
        self,
        call_id: int,
        kind: RecordingKind,
        path: str,
        duration_seconds: float | None,
        size_bytes: int | None,
        sha256: str | None,
        finished_at: datetime | None,
    ) -> int:
        """Record (or update) the call's recording of `kind`; return its id."""
        if finished_at is not None:
            require_aware(finished_at, "finished_at")
        async with connection(self._pool) as conn:
            recording_id = await conn.fetchval(
                ADD_RECORDING_SQL,
                call_id,
                kind,
                path,
                duration_seconds,
                size_bytes,
                sha256,
                finished_at,
            )
        return int(recording_id)

    async def recordings_for(self, call_id: int) -> list[RecordingRow]:
        async with connection(self._pool) as conn:
            rows = await conn.fetch(RECORDINGS_FOR_SQL, call_id)
        return [_recording(r) for r in rows]

    async def add_pending_recording(
        self, call_id: int, kind: RecordingKind, path: str, sweep_after: float = 0.0
    ) -> int:
        """Note a recording whose file is not finalised yet; a no-op if one exists."""
        async with connection(self._pool) as conn:
            recording_id = await conn.fetchval(
                ADD_PENDING_RECORDING_SQL, call_id, kind, path, sweep_after
            )
        return int(recording_id)

    async def pending_recordings(self, limit: int) -> list[RecordingRow]:
        """Recordings without `finished_at`, oldest first (the finaliser's backlog)."""
        async with connection(self._pool) as conn:
            rows = await conn.fetch(PENDING_RECORDINGS_SQL, limit)
        return [_recording(r) for r in rows]
