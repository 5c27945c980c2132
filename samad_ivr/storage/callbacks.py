"""Callbacks and their attempts (migration 0028).

Claims are conditional updates (`status = 'pending'` and due), so two service instances
never place the same attempt twice; `request` is idempotent per inbound call.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import asyncpg

from samad_ivr.storage.db import Pool, connection

__all__ = ["Callback", "CallbackRepository"]

_COLUMNS = """id, center_id, origin_uniqueid, caller_e164, queued_at, requested_at,
       session_ends_at, status, attempts, next_attempt_at, channel_id, last_result, request_id"""

REQUEST_SQL = f"""
INSERT INTO callbacks (center_id, origin_uniqueid, caller_e164, queued_at, requested_at,
                       session_ends_at, next_attempt_at)
VALUES ($1, $2, $3, $4, $5, $6, $5)
ON CONFLICT (origin_uniqueid) DO UPDATE SET updated_at = callbacks.updated_at
RETURNING {_COLUMNS}
"""
OPEN_LINE_SQL = f"""
SELECT {_COLUMNS} FROM callbacks
 WHERE center_id = $1 AND status IN ('pending', 'placing')
 ORDER BY queued_at, id
"""
OPEN_ALL_SQL = f"""
SELECT {_COLUMNS} FROM callbacks WHERE status IN ('pending', 'placing') ORDER BY queued_at, id
"""
# Answered callbacks on their way from the citizen's "hello" into the queue (intro,
# routing): each will take the next free desk, so none is given to another callback.
IN_TRANSIT_SQL = """
SELECT channel_id, queued_at FROM callbacks
 WHERE center_id = $1 AND status = 'reached' AND updated_at > $2 AND channel_id IS NOT NULL
"""
CLAIM_SQL = """
UPDATE callbacks SET status = 'placing', attempts = attempts + 1, channel_id = $2,
                     updated_at = $3
 WHERE id = $1 AND status = 'pending' AND next_attempt_at <= $3 AND attempts < $4
RETURNING attempts
"""
INSERT_ATTEMPT_SQL = """
INSERT INTO callback_attempts (callback_id, attempt, channel_id, started_at)
VALUES ($1, $2, $3, $4)
"""
END_ATTEMPT_SQL = """
UPDATE callback_attempts SET result = $3, ended_at = $4
 WHERE callback_id = $1 AND channel_id = $2 AND result IS NULL
"""
AFTER_ATTEMPT_SQL = """
UPDATE callbacks SET status = $3, last_result = $4, next_attempt_at = coalesce($5, next_attempt_at),
                     updated_at = $6
 WHERE id = $1 AND channel_id = $2 AND status = 'placing'
"""
# Attempts whose outcome was never written (the service died while ringing): back in line.
RELEASE_STALE_SQL = """
UPDATE callbacks SET status = 'pending', last_result = 'failed', updated_at = $1
 WHERE status = 'placing' AND updated_at < $2
RETURNING id
"""
TO_CONVERT_SQL = f"""
SELECT {_COLUMNS} FROM callbacks
 WHERE status = 'pending'
   AND (attempts >= $2 OR session_ends_at - make_interval(secs => $3) < $1)
 ORDER BY queued_at, id
"""
# The average conversation of the center's last answered calls (a week at most): the
# time between answer and hang-up less the wait in the queue.
AVERAGE_TALK_SQL = """
SELECT avg(talk) FROM (
  SELECT extract(epoch FROM ended_at - answered_at) - coalesce(queue_wait_seconds, 0) AS talk
    FROM calls
   WHERE center_id = $1 AND disposition = 'answered' AND ended_at IS NOT NULL
     AND answered_at IS NOT NULL AND started_at > $2::timestamptz - interval '7 days'
     AND started_at <= $2
     AND route IN ('desk', 'deputy', 'queue', 'callback')
   ORDER BY started_at DESC
   LIMIT 200
) t WHERE talk > 0
"""
ORIGIN_CALL_SQL = "SELECT id FROM calls WHERE uniqueid = $1"
CONVERT_SQL = """
UPDATE callbacks SET status = 'converted', request_id = $2, updated_at = $3
 WHERE id = $1 AND status = 'pending'
"""


@dataclass(frozen=True, slots=True)
class Callback:
    id: int
    center_id: int
    origin_uniqueid: str
    caller_e164: str
    queued_at: datetime
    requested_at: datetime
    session_ends_at: datetime
    status: str
    attempts: int
    next_attempt_at: datetime
    channel_id: str | None
    last_result: str | None
    request_id: int | None


def _row(r: asyncpg.Record) -> Callback:
    return Callback(**dict(r.items()))


class CallbackRepository:
    def __init__(self, pool: Pool) -> None:
        self._pool = pool

    async def request(
        self,
        center_id: int,
        origin_uniqueid: str,
        caller_e164: str,
        queued_at: datetime,
        session_ends_at: datetime,
        now: datetime,
    ) -> Callback:
        """Store the caller's wish (once per inbound call; a second press returns it)."""
        async with connection(self._pool) as conn:
            r = await conn.fetchrow(
                REQUEST_SQL, center_id, origin_uniqueid, caller_e164, queued_at, now,
                session_ends_at,
            )  # fmt: skip
        assert r is not None  # an upsert's RETURNING always yields the row
        return _row(r)

    async def open_line(self, center_id: int | None = None) -> list[Callback]:
        """Pending and ringing callbacks, in their place in the line (arrival order)."""
        async with connection(self._pool) as conn:
            if center_id is None:
                rows = await conn.fetch(OPEN_ALL_SQL)
            else:
                rows = await conn.fetch(OPEN_LINE_SQL, center_id)
        return [_row(r) for r in rows]

    async def in_transit(self, center_id: int, since: datetime) -> dict[str, datetime]:
        """Channel -> place in line of callbacks answered since `since` (they may not be
        in the queue yet)."""
        async with connection(self._pool) as conn:
            rows = await conn.fetch(IN_TRANSIT_SQL, center_id, since)
        return {r["channel_id"]: r["queued_at"] for r in rows}

    async def claim(
        self, callback_id: int, channel_id: str, now: datetime, max_attempts: int
    ) -> int | None:
        """Start an attempt; its number, or None when another instance got there first."""
        async with connection(self._pool) as conn, conn.transaction():
            attempt = await conn.fetchval(CLAIM_SQL, callback_id, channel_id, now, max_attempts)
            if attempt is None:
                return None
            await conn.execute(INSERT_ATTEMPT_SQL, callback_id, attempt, channel_id, now)
        return int(attempt)

    async def attempt_ended(
        self,
        callback_id: int,
        channel_id: str,
        result: str,
        reached: bool,
        retry_at: datetime | None,
        now: datetime,
    ) -> None:
        """Write the attempt's result; the callback is reached, or pending again (retry
        at `retry_at`, or to be converted when it has no attempts or time left)."""
        status = "reached" if reached else "pending"
        async with connection(self._pool) as conn, conn.transaction():
            await conn.execute(END_ATTEMPT_SQL, callback_id, channel_id, result, now)
            await conn.execute(
                AFTER_ATTEMPT_SQL, callback_id, channel_id, status, result, retry_at, now
            )

    async def release_stale(self, now: datetime, placing_since: datetime) -> list[int]:
        async with connection(self._pool) as conn:
            rows = await conn.fetch(RELEASE_STALE_SQL, now, placing_since)
        return [int(r["id"]) for r in rows]

    async def to_convert(
        self, now: datetime, max_attempts: int, min_seconds_left: float
    ) -> list[Callback]:
        """Pending callbacks out of attempts, or with too little of their session left."""
        async with connection(self._pool) as conn:
            rows = await conn.fetch(TO_CONVERT_SQL, now, max_attempts, float(min_seconds_left))
        return [_row(r) for r in rows]

    async def average_talk_seconds(self, center_id: int, now: datetime) -> float | None:
        async with connection(self._pool) as conn:
            value = await conn.fetchval(AVERAGE_TALK_SQL, center_id, now)
        return None if value is None else float(value)

    async def origin_call_id(self, origin_uniqueid: str) -> int | None:
        async with connection(self._pool) as conn:
            value = await conn.fetchval(ORIGIN_CALL_SQL, origin_uniqueid)
        return None if value is None else int(value)

    async def converted(self, callback_id: int, request_id: int, now: datetime) -> bool:
        async with connection(self._pool) as conn:
            status = await conn.execute(CONVERT_SQL, callback_id, request_id, now)
        return bool(status.endswith(" 1"))
