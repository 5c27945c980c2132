"""What the desk reads (the caller, their earlier calls and requests) and writes (notes).

The official writes while talking, usually before the request exists (it is registered
when the conversation ends).  Notes live in `desk_notes` by call; a request registered
later copies them (trigger in migrations/0007_desk.sql) and intake assigns it to the
note's agency and topic (`pending_assignment`); a save after registration updates the
request too, and the desk assigns it through the lifecycle in the same transaction
(`write_note` runs inside `RequestLifecycle.act`).  Every path locks the call row, as
`RequestRepository.register` does, so a save and a registration never interleave; and
an existing request's row is always locked before the call's, in that order, so a save
never deadlocks with an action on the request.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import asyncpg

from samad_ivr.storage.db import Pool, PoolConnection, StorageError, connection

# A registration that commits between a save's two reads makes the save start again.
SAVE_ATTEMPTS = 3

DESK_OF_SQL = """
SELECT o.desk_endpoint, o.center_id, c.queue_name
FROM officials o JOIN centers c ON c.id = o.center_id WHERE o.id = $1
"""

ALL_DESKS_SQL = "SELECT DISTINCT desk_endpoint FROM officials ORDER BY desk_endpoint"

QUEUE_OF_CENTER_SQL = "SELECT queue_name FROM centers WHERE id = $1"
ALL_QUEUES_SQL = "SELECT queue_name FROM centers ORDER BY queue_name"

# The caller's side of the call is the Dial source (its uniqueid is the calls row's);
# a queue leg only shares the linkedid.
FIND_CALL_SQL = """
SELECT id, uniqueid, linkedid, center_id, caller_raw, caller_e164, official_id, started_at
FROM calls
WHERE uniqueid = $1 OR ($2::text IS NOT NULL AND (linkedid = $2 OR uniqueid = $2))
ORDER BY (uniqueid = $1) DESC, started_at DESC
LIMIT 1
"""

GET_CALL_SQL = """
SELECT id, uniqueid, linkedid, center_id, caller_raw, caller_e164, official_id, started_at
FROM calls WHERE id = $1
"""

HISTORY_SQL = """
SELECT c.id, c.started_at, c.disposition, c.route, r.tracking_code, r.status,
       COALESCE(r.topic, n.topic) AS topic, COALESCE(r.summary, n.summary) AS summary
FROM calls c
LEFT JOIN requests r ON r.call_id = c.id
LEFT JOIN desk_notes n ON n.call_id = c.id
WHERE c.caller_e164 = $1 AND c.id <> $2
ORDER BY c.started_at DESC
LIMIT $3
"""

NOTE_SQL = """
SELECT n.call_id, n.summary, n.topic, n.agency_id, n.no_request, n.updated_at,
       r.tracking_code
FROM calls c
LEFT JOIN desk_notes n ON n.call_id = c.id
LEFT JOIN requests r ON r.call_id = c.id
WHERE c.id = $1
"""

LOCK_CALL_SQL = "SELECT id FROM calls WHERE id = $1 FOR UPDATE"
REQUEST_OF_CALL_SQL = "SELECT id FROM requests WHERE call_id = $1"
LOCK_REQUEST_OF_CALL_SQL = "SELECT id, status FROM requests WHERE call_id = $1 FOR UPDATE"

# What the official chose for a call whose request intake has just registered.
PENDING_ASSIGNMENT_SQL = """
SELECT n.agency_id, n.topic, n.summary, n.user_id, u.username
FROM desk_notes n LEFT JOIN users u ON u.id = n.user_id
WHERE n.call_id = $1 AND n.agency_id IS NOT NULL AND n.topic IS NOT NULL
  AND NOT n.no_request
"""

UPSERT_NOTE_SQL = """
INSERT INTO desk_notes (call_id, summary, topic, agency_id, official_id, user_id)
VALUES ($1, $2, $3, $4, $5, $6)
ON CONFLICT (call_id) DO UPDATE SET
    summary = EXCLUDED.summary, topic = EXCLUDED.topic, agency_id = EXCLUDED.agency_id,
    official_id = EXCLUDED.official_id, user_id = EXCLUDED.user_id, updated_at = now()
"""

# A request nobody has assigned yet takes the desk's choices as they are (like the
# registration trigger); once assigned, only the lifecycle changes its agency and topic.
UPDATE_REGISTERED_SQL = """
UPDATE requests SET summary = $2, topic = COALESCE($3, topic), agency_id = COALESCE($4, agency_id)
WHERE call_id = $1 AND status = 'registered'
"""
UPDATE_SUMMARY_SQL = "UPDATE requests SET summary = $2 WHERE call_id = $1"

MARK_NO_REQUEST_SQL = """
INSERT INTO desk_notes (call_id, no_request, official_id, user_id) VALUES ($1, true, $2, $3)
ON CONFLICT (call_id) DO UPDATE SET
    no_request = true, official_id = EXCLUDED.official_id, user_id = EXCLUDED.user_id,
    updated_at = now()
"""

NO_REQUEST_SQL = "SELECT no_request FROM desk_notes WHERE call_id = $1"


@dataclass(frozen=True, slots=True)
class Desk:
    endpoint: str
    center_id: int
    queue_name: str


@dataclass(frozen=True, slots=True)
class DeskCall:
    id: int
    uniqueid: str
    linkedid: str | None
    center_id: int | None
    caller_raw: str
    caller_e164: str | None
    official_id: int | None
    started_at: datetime


@dataclass(frozen=True, slots=True)
class EarlierCall:
    call_id: int
    started_at: datetime
    disposition: str | None
    route: str | None
    tracking_code: str | None
    request_status: str | None
    topic: str | None
    summary: str | None


@dataclass(frozen=True, slots=True)
class DeskNote:
    summary: str | None
    topic: str | None
    agency_id: int | None
    no_request: bool
    updated_at: datetime | None
    tracking_code: str | None  # the request's, once it is registered


@dataclass(frozen=True, slots=True)
class NoteInput:
    """What the official wrote about a call, checked against its center."""

    summary: str | None
    topic: str | None
    agency_id: int | None
    official_id: int | None
    user_id: int | None


@dataclass(frozen=True, slots=True)
class PendingAssignment:
    """The agency and topic the official chose before the request existed."""

    agency_id: int
    topic: str
    summary: str | None
    user_id: int | None
    username: str | None


class RequestAlreadyRegistered(Exception):
    """The call already has a request, so it can no longer be marked "no request"."""


class _RegisteredMeanwhile(StorageError):
    """A request appeared between the save's first read and its lock of the call."""


def _call(r: asyncpg.Record) -> DeskCall:
    return DeskCall(
        id=r["id"],
        uniqueid=r["uniqueid"],
        linkedid=r["linkedid"],
        center_id=r["center_id"],
        caller_raw=r["caller_raw"],
        caller_e164=r["caller_e164"],
        official_id=r["official_id"],
        started_at=r["started_at"],
    )


class DeskRepository:
    def __init__(self, pool: Pool) -> None:
        self._pool = pool

    async def desk_of(self, official_id: int) -> Desk | None:
        async with connection(self._pool) as conn:
            r = await conn.fetchrow(DESK_OF_SQL, official_id)
        return None if r is None else Desk(r["desk_endpoint"], r["center_id"], r["queue_name"])

    async def all_desk_endpoints(self) -> list[str]:
        """Every official's desk endpoint, each once (the softphone config is built on it)."""
        async with connection(self._pool) as conn:
            return [str(r["desk_endpoint"]) for r in await conn.fetch(ALL_DESKS_SQL)]

    async def queues(self, center_id: int | None) -> list[str]:
        """The queue of `center_id`, or of every center when it is None."""
        async with connection(self._pool) as conn:
            if center_id is None:
                return [str(r["queue_name"]) for r in await conn.fetch(ALL_QUEUES_SQL)]
            name = await conn.fetchval(QUEUE_OF_CENTER_SQL, center_id)
        return [] if name is None else [str(name)]

    async def find_call(self, uniqueid: str, linkedid: str | None) -> DeskCall | None:
        async with connection(self._pool) as conn:
            r = await conn.fetchrow(FIND_CALL_SQL, uniqueid, linkedid)
        return None if r is None else _call(r)

    async def get_call(self, call_id: int) -> DeskCall | None:
        async with connection(self._pool) as conn:
            r = await conn.fetchrow(GET_CALL_SQL, call_id)
        return None if r is None else _call(r)

    async def earlier_calls(self, call: DeskCall, limit: int = 20) -> list[EarlierCall]:
        """Other calls from the same number, newest first, with their requests."""
        if call.caller_e164 is None:
            return []
        async with connection(self._pool) as conn:
            rows = await conn.fetch(HISTORY_SQL, call.caller_e164, call.id, limit)
        return [
            EarlierCall(
                call_id=r["id"],
                started_at=r["started_at"],
                disposition=r["disposition"],
                route=r["route"],
                tracking_code=r["tracking_code"],
                request_status=r["status"],
                topic=r["topic"],
                summary=r["summary"],
            )
            for r in rows
        ]

    async def note(self, call_id: int) -> DeskNote:
        async with connection(self._pool) as conn:
            r = await conn.fetchrow(NOTE_SQL, call_id)
        if r is None or r["call_id"] is None:
            tracking = None if r is None else r["tracking_code"]
            return DeskNote(None, None, None, False, None, tracking)
        return DeskNote(
            summary=r["summary"],
            topic=r["topic"],
            agency_id=r["agency_id"],
            no_request=r["no_request"],
            updated_at=r["updated_at"],
            tracking_code=r["tracking_code"],
        )

    async def request_id(self, call_id: int) -> int | None:
        """The call's request, once intake has registered it."""
        async with connection(self._pool) as conn:
            found = await conn.fetchval(REQUEST_OF_CALL_SQL, call_id)
        return None if found is None else int(found)

    async def save_note(
        self,
        call_id: int,
        *,
        summary: str | None,
        topic: str | None,
        agency_id: int | None,
        official_id: int | None,
        user_id: int | None,
    ) -> bool:
        """Store the note; True when it also went into the call's (existing) request.

        `topic` and `agency_id` must be the call's center's (the caller checks)."""
        note = NoteInput(summary, topic, agency_id, official_id, user_id)
        for attempt in range(SAVE_ATTEMPTS):
            try:
                return await self._save_note_once(call_id, note, attempt == SAVE_ATTEMPTS - 1)
            except _RegisteredMeanwhile:
                continue
        raise AssertionError("unreachable: the last attempt does not retry")

    async def _save_note_once(self, call_id: int, note: NoteInput, last: bool) -> bool:
        async with connection(self._pool) as conn, conn.transaction():
            request = await conn.fetchrow(LOCK_REQUEST_OF_CALL_SQL, call_id)
            await conn.fetchval(LOCK_CALL_SQL, call_id)
            # Registration holds the call's lock while inserting: a request that exists
            # now was not locked first, so start again in the usual order.
            if (
                request is None
                and not last
                and await conn.fetchval(REQUEST_OF_CALL_SQL, call_id) is not None
            ):
                raise _RegisteredMeanwhile(str(call_id))
            await self.write_note(conn, call_id, note)
        return request is not None

    async def write_note(self, conn: PoolConnection, call_id: int, note: NoteInput) -> None:
        """Write the note (and its copy in the call's request) on `conn`, inside the
        caller's transaction, which has already locked the request's row if there is one."""
        n = note
        await conn.fetchval(LOCK_CALL_SQL, call_id)
        await conn.execute(
            UPSERT_NOTE_SQL, call_id, n.summary, n.topic, n.agency_id, n.official_id, n.user_id
        )
        status = await conn.execute(UPDATE_REGISTERED_SQL, call_id, n.summary, n.topic, n.agency_id)
        if not str(status).endswith(" 1"):
            await conn.execute(UPDATE_SUMMARY_SQL, call_id, n.summary)

    async def pending_assignment(self, call_id: int) -> PendingAssignment | None:
        """The agency and topic chosen at the desk for this call, when both were."""
        async with connection(self._pool) as conn:
            r = await conn.fetchrow(PENDING_ASSIGNMENT_SQL, call_id)
        if r is None:
            return None
        return PendingAssignment(
            r["agency_id"], r["topic"], r["summary"], r["user_id"], r["username"]
        )

    async def mark_no_request(self, call_id: int, *, official_id: int | None, user_id: int) -> None:
        """Flag the call so intake registers no request; refused once one exists."""
        async with connection(self._pool) as conn, conn.transaction():
            await conn.fetchval(LOCK_CALL_SQL, call_id)
            if await conn.fetchval(REQUEST_OF_CALL_SQL, call_id) is not None:
                raise RequestAlreadyRegistered(f"call {call_id} already has a request")
            await conn.execute(MARK_NO_REQUEST_SQL, call_id, official_id, user_id)

    async def no_request(self, call_id: int) -> bool:
        """True when the official marked the call "no request" (intake checks this)."""
        async with connection(self._pool) as conn:
            flag = await conn.fetchval(NO_REQUEST_SQL, call_id)
        return bool(flag)
