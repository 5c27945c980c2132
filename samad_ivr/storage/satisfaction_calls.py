"""Callback attempts of satisfaction questions (table satisfaction_calls, migration 0018).

Lock order everywhere: the request (FOR KEY SHARE, which an action's FOR UPDATE blocks),
then the question, as samad_ivr.storage.satisfaction_verdicts does, so a reply arriving
while a callback is being booked waits instead of deadlocking.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from samad_ivr.storage.db import AnyConnection

__all__ = [
    "Attempt",
    "attempt_by_uniqueid",
    "finish_attempt",
    "lock_request_key",
    "reschedule",
    "set_call",
    "set_digit",
    "start_attempt",
]

START_SQL = """
WITH q AS (
    UPDATE satisfaction_questions
    SET attempts = attempts + 1, first_call_at = COALESCE(first_call_at, $2),
        calling_until = $3, next_call_at = $5
    WHERE id = $1 AND outcome = 'open'
    RETURNING id, attempts
)
INSERT INTO satisfaction_calls (question_id, attempt_no, started_at, uniqueid)
SELECT q.id, q.attempts, $2, $4 FROM q
RETURNING attempt_no
"""
RESCHEDULE_SQL = """
UPDATE satisfaction_questions SET next_call_at = $2, calling_until = $3
WHERE id = $1 AND outcome = 'open'
"""
FINISH_SQL = """
UPDATE satisfaction_calls
SET result = $2, finished_at = CASE WHEN $2 = 'answered' THEN finished_at ELSE $3 END
WHERE uniqueid = $1
"""
DIGIT_SQL = "UPDATE satisfaction_calls SET digit = $2 WHERE uniqueid = $1"
SET_CALL_SQL = """
UPDATE satisfaction_calls SET call_id = $2, finished_at = COALESCE(finished_at, $3)
WHERE uniqueid = $1
"""
BY_UNIQUEID_SQL = """
SELECT c.id, c.question_id, c.attempt_no, c.started_at, c.result, c.digit, c.uniqueid,
       q.request_id, q.destination, r.center_id
FROM satisfaction_calls c JOIN satisfaction_questions q ON q.id = c.question_id
JOIN requests r ON r.id = q.request_id
WHERE c.uniqueid = $1
"""
LOCK_REQUEST_KEY_SQL = "SELECT 1 FROM requests WHERE id = $1 FOR KEY SHARE"


@dataclass(frozen=True, slots=True)
class Attempt:
    id: int
    question_id: int
    attempt_no: int
    started_at: datetime
    result: str | None
    digit: str | None
    uniqueid: str
    request_id: int
    destination: str
    center_id: int | None


async def lock_request_key(conn: AnyConnection, request_id: int) -> None:
    await conn.execute(LOCK_REQUEST_KEY_SQL, request_id)


async def start_attempt(
    conn: AnyConnection,
    question_id: int,
    now: datetime,
    busy_until: datetime,
    uniqueid: str,
    retry_at: datetime | None,
) -> int | None:
    """Book the next attempt (its number), or None if the question closed meanwhile.
    `retry_at` stands until the attempt's end says otherwise, so an instance that dies
    while the phone rings leaves the question to be rung again, not forgotten."""
    attempt_no = await conn.fetchval(START_SQL, question_id, now, busy_until, uniqueid, retry_at)
    return None if attempt_no is None else int(attempt_no)


async def reschedule(
    conn: AnyConnection,
    question_id: int,
    next_call_at: datetime | None,
    calling_until: datetime | None = None,
) -> None:
    await conn.execute(RESCHEDULE_SQL, question_id, next_call_at, calling_until)


async def finish_attempt(conn: AnyConnection, uniqueid: str, result: str, now: datetime) -> None:
    await conn.execute(FINISH_SQL, uniqueid, result, now)


async def set_digit(conn: AnyConnection, uniqueid: str, digit: str) -> None:
    await conn.execute(DIGIT_SQL, uniqueid, digit)


async def set_call(conn: AnyConnection, uniqueid: str, call_id: int, ended_at: datetime) -> None:
    await conn.execute(SET_CALL_SQL, uniqueid, call_id, ended_at)


async def attempt_by_uniqueid(conn: AnyConnection, uniqueid: str) -> Attempt | None:
    r = await conn.fetchrow(BY_UNIQUEID_SQL, uniqueid)
    if r is None:
        return None
    return Attempt(
        id=r["id"], question_id=r["question_id"], attempt_no=r["attempt_no"],
        started_at=r["started_at"], result=r["result"], digit=r["digit"],
        uniqueid=r["uniqueid"], request_id=r["request_id"], destination=r["destination"],
        center_id=r["center_id"],
    )  # fmt: skip
