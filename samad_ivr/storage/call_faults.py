"""Faults stored on a call, each told to the admins (issue 14: loud, never silent).

A fault is stored once per call and kind (`call_faults`, 0024) and, in the same
transaction, an `admin_notifications` row goes out.  The notification's dedup key names
the center code as its second field, so the admin console (storage/notification_feed.py)
shows it to that province's admins.  A recordings directory that is unwritable or full
hits every call while it lasts: each call carries the fault, the admins are told once an
hour.

The recording finaliser's tries are counted here too: a row that keeps failing waits
longer each time (it never holds back newer rows) and is given up after a bound.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from samad_ivr.sms.notifications import INSERT_SQL as NOTIFY_SQL
from samad_ivr.storage.db import Pool, PoolConnection, connection

log = logging.getLogger(__name__)

FaultKind = Literal[
    "recording_dir",
    "recording_missing",
    "recording_empty",
    "recording_unreadable",
    "recording_gave_up",
    "message_unreadable",
]

# What the admins read (Persian); the detail (no caller numbers, only ids and files) follows.
FAULT_TEXT: dict[str, str] = {
    "recording_dir": "پوشهٔ ضبط تماس‌ها نوشتنی نیست یا پر شده است",
    "recording_missing": "فایل ضبط تماس پیدا نشد",
    "recording_empty": "فایل ضبط تماس خالی است",
    "recording_unreadable": "فایل ضبط تماس خوانا نیست",
    "recording_gave_up": "ثبت فایل ضبط تماس پس از چند تلاش رها شد",
    "message_unreadable": "پیام صوتی شهروند خوانده نشد",
}

ADD_FAULT_SQL = """
INSERT INTO call_faults (call_id, kind, detail) VALUES ($1, $2, $3)
ON CONFLICT (call_id, kind) DO NOTHING
RETURNING id
"""

FAULTS_FOR_SQL = """
SELECT kind, detail, created_at FROM call_faults WHERE call_id = $1 ORDER BY id
"""

# Due rows, oldest due first, claimed by counting the try and pushing the next one back
# (30 s doubling, at most an hour): a failing row goes behind the newer ones.
CLAIM_DUE_SQL = """
UPDATE recordings r
   SET attempts = r.attempts + 1,
       next_attempt_at = now() + least(interval '1 hour',
                                       interval '30 seconds' * power(2, least(r.attempts, 10)))
 WHERE r.id IN (SELECT id FROM recordings
                 WHERE finished_at IS NULL AND gave_up_at IS NULL AND next_attempt_at <= now()
                 ORDER BY next_attempt_at, id
                 LIMIT $1
                 FOR UPDATE SKIP LOCKED)
RETURNING r.id, r.call_id, r.path, r.attempts
"""

NOTE_FAILURE_SQL = "UPDATE recordings SET last_error = $2 WHERE id = $1"

GIVE_UP_SQL = """
UPDATE recordings SET gave_up_at = now(), last_error = $2
 WHERE call_id = $1 AND kind = 'call' AND finished_at IS NULL AND gave_up_at IS NULL
"""


@dataclass(frozen=True, slots=True)
class CallFault:
    kind: str
    detail: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class DueRecording:
    id: int
    call_id: int
    path: str
    attempts: int  # including the one just claimed


class CallFaults:
    def __init__(self, pool: Pool, center_code: str) -> None:
        self._pool = pool
        self._center = center_code

    async def report(self, call_id: int, kind: FaultKind, detail: str) -> bool:
        """Store the fault on the call and tell the admins; False if it was known."""
        async with connection(self._pool) as conn, conn.transaction():
            return await self._report(conn, call_id, kind, detail)

    async def give_up(self, call_id: int, kind: FaultKind, detail: str) -> bool:
        """Stop finalising the call's recording: the row is marked and the fault told."""
        async with connection(self._pool) as conn, conn.transaction():
            await conn.execute(GIVE_UP_SQL, call_id, detail[:500])
            return await self._report(conn, call_id, kind, detail)

    async def _report(
        self, conn: PoolConnection, call_id: int, kind: FaultKind, detail: str
    ) -> bool:
        detail = detail[:500]
        if await conn.fetchval(ADD_FAULT_SQL, call_id, kind, detail) is None:
            return False
        if kind == "recording_dir":
            # Every call hits it while it lasts: the admins hear of it once an hour.
            hour = datetime.now(UTC).strftime("%Y%m%d%H")
            dedup = f"call_fault:{self._center}:{kind}:{hour}"
        else:
            dedup = f"call_fault:{self._center}:{kind}:{call_id}"
        subject = f"{FAULT_TEXT[kind]} — تماس {call_id}"
        await conn.fetchval(NOTIFY_SQL, f"call_{kind}", subject, detail, dedup)
        log.error("call %s: %s (%s)", call_id, kind, detail)
        return True

    async def faults_for(self, call_id: int) -> list[CallFault]:
        async with connection(self._pool) as conn:
            rows = await conn.fetch(FAULTS_FOR_SQL, call_id)
        return [CallFault(r["kind"], r["detail"], r["created_at"]) for r in rows]

    async def claim_due(self, limit: int) -> list[DueRecording]:
        """Pending call recordings due for a try, each try counted as it is claimed."""
        async with connection(self._pool) as conn:
            rows = await conn.fetch(CLAIM_DUE_SQL, limit)
        return [DueRecording(r["id"], r["call_id"], r["path"], r["attempts"]) for r in rows]

    async def note_failure(self, recording_id: int, reason: str) -> None:
        async with connection(self._pool) as conn:
            await conn.execute(NOTE_FAILURE_SQL, recording_id, reason[:500])
