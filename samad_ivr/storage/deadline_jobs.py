"""The deadline jobs' statements: escalate at the deadline, remind before it, the long stop.

Each batch is one transaction: one statement picks the due rows (`FOR UPDATE SKIP
LOCKED`, so two instances running the same job never take the same row, and a row a
person is acting on is left for the next round) and marks them, and the rows it marks
are the only ones that get notices, SMS and history.  A second run finds nothing: the
mark (`escalated`, `reminded_at`, `long_stop_at`) is the condition it looks for.

"Due" is in each center's own time zone: a deadline has passed once the local day after
`due_on` has begun (`domain.deadlines.is_overdue`), the long stop likewise after
`long_stop_on`, and a reminder is due from the local day `remind_on`.  The extra bound
on the UTC day (no zone is more than a day ahead of UTC) lets the partial indexes of
migration 0009 find the candidates without reading every open request.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg

from samad_ivr.storage.db import AnyConnection

__all__ = [
    "DEADLINE_JOB",
    "DueRequest",
    "HistoryRow",
    "Notice",
    "Sms",
    "add_admin_notifications",
    "add_agency_notices",
    "claim_long_stops",
    "claim_reminders",
    "escalate_overdue",
    "insert_history",
    "queue_sms",
]

DEADLINE_JOB = "deadline_job"

_LOCAL_TODAY = "($1::timestamptz AT TIME ZONE c.timezone)::date"
_UTC_BOUND = "($1::timestamptz AT TIME ZONE 'UTC')::date + 1"

ESCALATE_SQL = f"""
WITH due AS (
    SELECT r.id FROM requests r JOIN centers c ON c.id = r.center_id
    WHERE r.status = 'assigned' AND r.due_on < {_UTC_BOUND} AND r.due_on < {_LOCAL_TODAY}
    ORDER BY r.due_on, r.id
    LIMIT $2
    FOR UPDATE OF r SKIP LOCKED
),
moved AS (
    UPDATE requests r SET status = 'escalated', version = r.version + 1, escalated_at = $1
    FROM due WHERE r.id = due.id
    RETURNING r.id, r.due_on
)
INSERT INTO request_history (request_id, at, event, action, from_status, to_status, job,
                             details)
SELECT id, $1, 'transition', 'escalate', 'assigned', 'escalated', '{DEADLINE_JOB}',
       jsonb_build_object('due_on', due_on)
FROM moved
RETURNING request_id
"""

# What a notice about a claimed request needs to say.
_RETURNING = """
RETURNING r.id, r.tracking_code, r.agency_id, a.name AS agency_name, a.contact_mobile,
          r.center_id, due.center_code, due.center_name, due.timezone, r.assigned_at,
          r.deadline_start, r.due_on, r.long_stop_on, r.status
"""


def _claim_sql(conditions: str, order: str, mark: str) -> str:
    """Pick due rows of every center (`conditions` may use c, the center) and mark them."""
    return f"""
WITH due AS (
    SELECT r.id, r.agency_id, c.code AS center_code, c.name AS center_name, c.timezone
    FROM requests r JOIN centers c ON c.id = r.center_id
    WHERE {conditions}
    ORDER BY {order}, r.id
    LIMIT $2
    FOR UPDATE OF r SKIP LOCKED
)
UPDATE requests r SET {mark} = $1
FROM due LEFT JOIN agencies a ON a.id = due.agency_id
WHERE r.id = due.id
{_RETURNING}
"""


# $3/$4: the local hours reminders may go out in (nobody wants a reminder SMS at night).
# Past its deadline a request is escalated, not reminded.
CLAIM_REMINDERS_SQL = _claim_sql(
    f"""r.status = 'assigned' AND r.reminded_at IS NULL
      AND r.remind_on < {_UTC_BOUND} AND r.remind_on <= {_LOCAL_TODAY}
      AND r.due_on >= {_LOCAL_TODAY}
      AND ($1::timestamptz AT TIME ZONE c.timezone)::time >= $3::time
      AND ($1::timestamptz AT TIME ZONE c.timezone)::time < $4::time""",
    "r.remind_on",
    "reminded_at",
)

CLAIM_LONG_STOPS_SQL = _claim_sql(
    f"""r.status IN ('assigned', 'escalated') AND r.long_stop_at IS NULL
      AND r.long_stop_on < {_UTC_BOUND} AND r.long_stop_on < {_LOCAL_TODAY}""",
    "r.long_stop_on",
    "long_stop_at",
)

INSERT_HISTORY_SQL = f"""
INSERT INTO request_history (request_id, at, event, job, note, details)
SELECT h.request_id, $1, $2, '{DEADLINE_JOB}', h.note, h.details::jsonb
FROM unnest($3::bigint[], $4::text[], $5::text[]) AS h (request_id, note, details)
"""

# dedup_key: a notice written twice (a retried batch) is written once.
INSERT_AGENCY_NOTICES_SQL = """
INSERT INTO agency_notifications (agency_id, request_id, kind, subject, body, dedup_key,
                                  created_at)
SELECT n.agency_id, n.request_id, $2, n.subject, n.body, n.dedup_key, $1
FROM unnest($3::int[], $4::bigint[], $5::text[], $6::text[], $7::text[])
     AS n (agency_id, request_id, subject, body, dedup_key)
ON CONFLICT (dedup_key) DO NOTHING
"""

INSERT_ADMIN_NOTIFICATIONS_SQL = """
INSERT INTO admin_notifications (kind, subject, body, dedup_key, created_at)
SELECT $2, n.subject, n.body, n.dedup_key, $1
FROM unnest($3::text[], $4::text[], $5::text[]) AS n (subject, body, dedup_key)
ON CONFLICT (dedup_key) DO NOTHING
"""

# Staff reminders are service messages, not notices a citizen may opt out of.
QUEUE_SMS_SQL = """
INSERT INTO sms_outbox (request_id, destination, body, category)
SELECT m.request_id, m.destination, m.body, 'transactional'
FROM unnest($1::bigint[], $2::text[], $3::text[]) AS m (request_id, destination, body)
RETURNING request_id, id
"""


@dataclass(frozen=True, slots=True)
class Notice:
    """A portal notice (agency) or an admin notification about one request."""

    request_id: int
    agency_id: int | None
    subject: str
    body: str
    dedup_key: str


@dataclass(frozen=True, slots=True)
class Sms:
    request_id: int
    destination: str  # E.164
    body: str


@dataclass(frozen=True, slots=True)
class DueRequest:
    """A request a job has just marked, with what its notices say."""

    id: int
    tracking_code: str
    agency_id: int | None
    agency_name: str | None
    contact_mobile: str | None
    center_id: int
    center_code: str
    center_name: str
    tz: ZoneInfo
    assigned_at: datetime
    deadline_start: date
    due_on: date
    long_stop_on: date
    status: str

    @property
    def round_key(self) -> str:
        """One key per request and round (a send-back starts a new round)."""
        return f"{self.id}:{int(self.assigned_at.timestamp() * 1_000_000)}"


@dataclass(frozen=True, slots=True)
class HistoryRow:
    request_id: int
    note: str
    details: dict[str, Any]


def _due(r: asyncpg.Record) -> DueRequest:
    return DueRequest(
        id=r["id"], tracking_code=r["tracking_code"], agency_id=r["agency_id"],
        agency_name=r["agency_name"], contact_mobile=r["contact_mobile"],
        center_id=r["center_id"], center_code=r["center_code"], center_name=r["center_name"],
        tz=ZoneInfo(r["timezone"]), assigned_at=r["assigned_at"],
        deadline_start=r["deadline_start"], due_on=r["due_on"],
        long_stop_on=r["long_stop_on"], status=r["status"],
    )  # fmt: skip


async def escalate_overdue(conn: AnyConnection, now: datetime, limit: int) -> int:
    """Move up to `limit` assigned requests past their deadline to `escalated`."""
    return len(await conn.fetch(ESCALATE_SQL, now, limit))


async def claim_reminders(
    conn: AnyConnection, now: datetime, limit: int, daytime: tuple[time, time]
) -> list[DueRequest]:
    """Mark up to `limit` requests due for their reminder as reminded; those rows."""
    rows = await conn.fetch(CLAIM_REMINDERS_SQL, now, limit, *daytime)
    return [_due(r) for r in rows]


async def claim_long_stops(conn: AnyConnection, now: datetime, limit: int) -> list[DueRequest]:
    """Mark up to `limit` requests past their long stop; those rows."""
    return [_due(r) for r in await conn.fetch(CLAIM_LONG_STOPS_SQL, now, limit)]


async def insert_history(
    conn: AnyConnection, now: datetime, event: str, rows: Sequence[HistoryRow]
) -> None:
    """One history row per request, written by the deadline job."""
    await conn.execute(
        INSERT_HISTORY_SQL, now, event, [h.request_id for h in rows], [h.note for h in rows],
        [json.dumps(h.details, ensure_ascii=False) for h in rows],
    )  # fmt: skip


async def add_agency_notices(
    conn: AnyConnection, now: datetime, kind: str, notices: Sequence[Notice]
) -> None:
    await conn.execute(
        INSERT_AGENCY_NOTICES_SQL, now, kind, [n.agency_id for n in notices],
        [n.request_id for n in notices], [n.subject for n in notices],
        [n.body for n in notices], [n.dedup_key for n in notices],
    )  # fmt: skip


async def add_admin_notifications(
    conn: AnyConnection, now: datetime, kind: str, notices: Sequence[Notice]
) -> None:
    await conn.execute(
        INSERT_ADMIN_NOTIFICATIONS_SQL, now, kind, [n.subject for n in notices],
        [n.body for n in notices], [n.dedup_key for n in notices],
    )  # fmt: skip


async def queue_sms(conn: AnyConnection, messages: Sequence[Sms]) -> dict[int, int]:
    """Queue the messages for the outbox worker; request id -> outbox id."""
    rows = await conn.fetch(
        QUEUE_SMS_SQL, [m.request_id for m in messages], [m.destination for m in messages],
        [m.body for m in messages],
    )  # fmt: skip
    return {int(r["request_id"]): int(r["id"]) for r in rows}
