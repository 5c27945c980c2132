"""Satisfaction questions: their rows, claims and history lines (migration 0018).

The jobs (samad_ivr.jobs.satisfaction_*) and the replies (SMS, callback) call these on a
connection they hold inside their own transaction.  Claims use `FOR UPDATE SKIP LOCKED`,
so two instances of a job split the work instead of doing it twice; inserts rely on the
table's unique keys, so a retried batch writes nothing twice.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg

from samad_ivr.domain.deadlines import WorkCalendar
from samad_ivr.domain.satisfaction import Channel, Outcome
from samad_ivr.storage.db import AnyConnection, PoolConnection
from samad_ivr.storage.lifecycle import load_calendar

__all__ = [
    "JOB",
    "Calendars",
    "CallDue",
    "Question",
    "Unasked",
    "add_history",
    "claim_due_calls",
    "claim_unasked",
    "expired_ids",
    "get_question",
    "insert_question",
    "lock_question",
    "open_sms_question",
    "settle",
    "supersede_round",
]

JOB = "satisfaction"  # request_history.job of the asking, calling and expiring jobs

QUESTION_COLUMNS = """
q.id, q.request_id, q.round_at, q.channel, q.destination, q.asked_at, q.expires_at,
q.outcome, q.settled_at, q.attempts, q.next_call_at, q.first_call_at, q.calling_until
"""

# Answered requests whose answer is at least ask_after old (and not older than a reply
# could still come), still missing a question on one of the channels, in answer order.
UNASKED_SQL = """
SELECT r.id, r.tracking_code, r.answered_at, r.caller_e164, r.center_id,
       a.name AS agency_name,
       ARRAY(SELECT q.channel FROM satisfaction_questions q
             WHERE q.request_id = r.id AND q.round_at = r.answered_at) AS asked
FROM requests r LEFT JOIN agencies a ON a.id = r.agency_id
WHERE r.status = 'answered' AND r.answered_at <= $1 AND r.answered_at > $2
  AND (r.answered_at, r.id) > ($3, $4)
  AND EXISTS (SELECT 1 FROM unnest($5::text[]) AS ch (name) WHERE NOT EXISTS (
      SELECT 1 FROM satisfaction_questions q
      WHERE q.request_id = r.id AND q.round_at = r.answered_at AND q.channel = ch.name))
ORDER BY r.answered_at, r.id
LIMIT $6
FOR UPDATE OF r SKIP LOCKED
"""
# ON CONFLICT: asked already (another instance), or that number's SMS question is open.
INSERT_QUESTION_SQL = """
INSERT INTO satisfaction_questions (request_id, round_at, channel, destination, asked_at,
                                    expires_at, next_call_at)
VALUES ($1, $2, $3, $4, $5, $6, $7)
ON CONFLICT DO NOTHING
RETURNING id
"""
SET_SMS_SQL = "UPDATE satisfaction_questions SET sms_outbox_id = $2 WHERE id = $1"
GET_SQL = f"SELECT {QUESTION_COLUMNS} FROM satisfaction_questions q WHERE q.id = $1"
LOCK_SQL = f"{GET_SQL} FOR UPDATE"
OPEN_SMS_SQL = f"""
SELECT {QUESTION_COLUMNS} FROM satisfaction_questions q
WHERE q.destination = $1 AND q.channel = 'sms' AND q.outcome = 'open'
"""
SETTLE_SQL = """
UPDATE satisfaction_questions
SET outcome = $2, settled_at = $3, next_call_at = NULL, calling_until = NULL
WHERE id = $1 AND outcome = 'open'
RETURNING id
"""
SUPERSEDE_ROUND_SQL = """
UPDATE satisfaction_questions
SET outcome = 'superseded', settled_at = $3, next_call_at = NULL, calling_until = NULL
WHERE request_id = $1 AND outcome = 'open' AND id <> $2
RETURNING id, channel
"""
DUE_CALLS_SQL = f"""
SELECT {QUESTION_COLUMNS}, r.status, r.answered_at, r.center_id
FROM satisfaction_questions q JOIN requests r ON r.id = q.request_id
WHERE q.channel = 'call' AND q.outcome = 'open' AND q.next_call_at <= $1
  AND (q.calling_until IS NULL OR q.calling_until <= $1)
ORDER BY q.next_call_at, q.id
LIMIT $2
FOR UPDATE OF q SKIP LOCKED
"""
# Past their end, or moot (the request left that answer's round: an inspector acted, a
# new answer came), which frees the number for its next SMS question at once.
EXPIRED_IDS_SQL = """
SELECT q.id FROM satisfaction_questions q JOIN requests r ON r.id = q.request_id
WHERE q.outcome = 'open' AND (q.calling_until IS NULL OR q.calling_until <= $1)
  AND (q.expires_at <= $1 OR r.status <> 'answered'
       OR r.answered_at IS DISTINCT FROM q.round_at)
ORDER BY q.expires_at, q.id LIMIT $2
"""
HISTORY_SQL = """
INSERT INTO request_history (request_id, at, event, job, note, details)
VALUES ($1, $2, $3, $4, $5, $6::jsonb)
"""


@dataclass(frozen=True, slots=True)
class Question:
    id: int
    request_id: int
    round_at: datetime
    channel: Channel
    destination: str
    asked_at: datetime
    expires_at: datetime
    outcome: Outcome
    settled_at: datetime | None
    attempts: int
    next_call_at: datetime | None
    first_call_at: datetime | None
    calling_until: datetime | None


@dataclass(frozen=True, slots=True)
class Unasked:
    """An answered request due for its question on at least one channel."""

    id: int
    tracking_code: str
    answered_at: datetime
    caller_e164: str | None
    center_id: int | None
    agency_name: str | None
    asked: frozenset[Channel]


@dataclass(frozen=True, slots=True)
class CallDue:
    """A callback whose time has come, and where its request stands now."""

    question: Question
    request_status: str
    request_answered_at: datetime | None
    center_id: int | None

    @property
    def still_asked(self) -> bool:
        """The request still waits for this answer's verdict."""
        return (
            self.request_status == "answered" and self.request_answered_at == self.question.round_at
        )


def question(r: asyncpg.Record) -> Question:
    return Question(
        id=r["id"], request_id=r["request_id"], round_at=r["round_at"],
        channel=Channel(r["channel"]), destination=r["destination"], asked_at=r["asked_at"],
        expires_at=r["expires_at"], outcome=Outcome(r["outcome"]), settled_at=r["settled_at"],
        attempts=r["attempts"], next_call_at=r["next_call_at"],
        first_call_at=r["first_call_at"], calling_until=r["calling_until"],
    )  # fmt: skip


async def claim_unasked(
    conn: AnyConnection,
    *,
    answered_by: datetime,
    answered_after: datetime,
    after: tuple[datetime, int],
    channels: frozenset[Channel],
    batch: int,
) -> list[Unasked]:
    rows = await conn.fetch(
        UNASKED_SQL, answered_by, answered_after, after[0], after[1],
        sorted(c.value for c in channels), batch,
    )  # fmt: skip
    return [_unasked(r) for r in rows]


def _unasked(r: asyncpg.Record) -> Unasked:
    return Unasked(
        id=r["id"], tracking_code=r["tracking_code"], answered_at=r["answered_at"],
        caller_e164=r["caller_e164"], center_id=r["center_id"],
        agency_name=r["agency_name"], asked=frozenset(Channel(c) for c in r["asked"]),
    )  # fmt: skip


async def insert_question(
    conn: AnyConnection,
    *,
    request_id: int,
    round_at: datetime,
    channel: Channel,
    destination: str,
    asked_at: datetime,
    expires_at: datetime,
    next_call_at: datetime | None = None,
) -> int | None:
    """The new question's id; None when it exists already or the number's SMS question
    is still open (asked on a later round)."""
    new_id = await conn.fetchval(
        INSERT_QUESTION_SQL, request_id, round_at, channel.value, destination, asked_at,
        expires_at, next_call_at,
    )  # fmt: skip
    return None if new_id is None else int(new_id)


async def set_sms(conn: AnyConnection, question_id: int, outbox_id: int) -> None:
    await conn.execute(SET_SMS_SQL, question_id, outbox_id)


async def get_question(conn: AnyConnection, question_id: int) -> Question | None:
    row = await conn.fetchrow(GET_SQL, question_id)
    return None if row is None else question(row)


async def lock_question(conn: AnyConnection, question_id: int) -> Question | None:
    row = await conn.fetchrow(LOCK_SQL, question_id)
    return None if row is None else question(row)


async def open_sms_question(conn: AnyConnection, destination: str) -> Question | None:
    row = await conn.fetchrow(OPEN_SMS_SQL, destination)
    return None if row is None else question(row)


async def settle(conn: AnyConnection, question_id: int, outcome: Outcome, now: datetime) -> bool:
    """Close an open question with `outcome`; False if it was no longer open."""
    return await conn.fetchval(SETTLE_SQL, question_id, outcome.value, now) is not None


async def supersede_round(
    conn: AnyConnection, request_id: int, settled_id: int, now: datetime
) -> list[tuple[int, Channel]]:
    """The request's other open questions are moot once one is settled."""
    rows = await conn.fetch(SUPERSEDE_ROUND_SQL, request_id, settled_id, now)
    return [(int(r["id"]), Channel(r["channel"])) for r in rows]


async def claim_due_calls(conn: AnyConnection, now: datetime, batch: int) -> list[CallDue]:
    rows = await conn.fetch(DUE_CALLS_SQL, now, batch)
    return [CallDue(question(r), r["status"], r["answered_at"], r["center_id"]) for r in rows]


async def expired_ids(conn: AnyConnection, now: datetime, batch: int) -> list[int]:
    """Questions past their end or moot (not while a callback rings), read without locks:
    each is locked, request first, when it is settled."""
    return [int(r["id"]) for r in await conn.fetch(EXPIRED_IDS_SQL, now, batch)]


async def add_history(
    conn: AnyConnection,
    request_id: int,
    now: datetime,
    event: str,
    note: str,
    details: dict[str, Any],
    *,
    job: str = JOB,
) -> None:
    await conn.execute(
        HISTORY_SQL, request_id, now, event, job, note, json.dumps(details, ensure_ascii=False)
    )


class Calendars:
    """Each center's time zone and working days, read once per job run."""

    def __init__(self, conn: PoolConnection, now: datetime) -> None:
        self._conn = conn
        # load_calendar reads closed days after its start: from yesterday, today is in.
        self._start = now.astimezone(ZoneInfo("Asia/Tehran")).date() - timedelta(days=1)
        self._seen: dict[int, tuple[ZoneInfo, WorkCalendar]] = {}

    async def of(self, center_id: int | None) -> tuple[ZoneInfo, WorkCalendar]:
        if center_id is None:  # a request of no center: Iran's own week
            return ZoneInfo("Asia/Tehran"), WorkCalendar(weekend=frozenset({4}))
        if center_id not in self._seen:
            self._seen[center_id] = await load_calendar(self._conn, center_id, self._start)
        return self._seen[center_id]
