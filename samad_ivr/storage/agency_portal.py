"""What an agency's staff see: their requests by deadline, and the portal's notices.

The list is keyset-paginated on `(due_on, id)` like the national search (one index range
scan per page over `requests_agency_due_idx`, never OFFSET).  Only requests that were
ever assigned are listed (they have a deadline); a request registered with the agency
chosen at the desk is not the agency's business until it is assigned.  The SQL is built
from fixed fragments with `$n` parameters (samad_ivr.storage.search.Where); the page
size is the one number written into the text, an int clamped to 1..MAX_LIMIT.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import asyncpg

from samad_ivr.domain.deadlines import days_left
from samad_ivr.domain.lifecycle import Status
from samad_ivr.storage.casefile import AWAITING_AGENCY
from samad_ivr.storage.db import Pool, connection
from samad_ivr.storage.keyset import pair_token, parse_pair
from samad_ivr.storage.search import Where

__all__ = [
    "AgencyInfo",
    "AgencyPortalRepository",
    "AgencyQuery",
    "AgencyRequestPage",
    "AgencyRequestRow",
    "DueCursor",
    "Notice",
]

MAX_LIMIT = 200
NOTICES_SHOWN = 20

AGENCY_SQL = """
SELECT a.id, a.name, a.center_id, ce.name AS center_name, ce.timezone
FROM agencies a JOIN centers ce ON ce.id = a.center_id WHERE a.id = $1
"""

_SELECT = """
SELECT r.id, r.tracking_code, r.status, r.topic, t.name AS topic_name, r.summary,
       r.caller_e164, r.created_at, r.assigned_at, r.due_on, r.answered_at, r.answered_late,
       r.version
FROM requests r
LEFT JOIN topics t ON t.center_id = r.center_id AND t.code = r.topic
"""

TOPICS_SQL = """
SELECT code, name FROM topics WHERE center_id = $1 ORDER BY position, name
"""

NOTICES_SQL = """
SELECT n.id, n.request_id, r.tracking_code, n.kind, n.subject, n.body, n.created_at, n.read_at
FROM agency_notifications n LEFT JOIN requests r ON r.id = n.request_id
WHERE n.agency_id = $1
ORDER BY (n.read_at IS NULL) DESC, n.id DESC
LIMIT $2
"""
UNREAD_SQL = "SELECT count(*) FROM agency_notifications WHERE agency_id = $1 AND read_at IS NULL"
MARK_READ_SQL = """
UPDATE agency_notifications SET read_at = $3
WHERE agency_id = $1 AND id = $2 AND read_at IS NULL
"""
MARK_ALL_READ_SQL = """
UPDATE agency_notifications SET read_at = $2 WHERE agency_id = $1 AND read_at IS NULL
"""


@dataclass(frozen=True, slots=True)
class DueCursor:
    """Where a page ends: the last row's deadline day and id."""

    due_on: date
    request_id: int

    def token(self) -> str:
        return pair_token(self.due_on.toordinal(), self.request_id)

    @classmethod
    def parse(cls, token: str) -> DueCursor | None:
        """None for anything we did not issue."""
        pair = parse_pair(token)
        if pair is None:
            return None
        try:
            return cls(date.fromordinal(pair[0]), pair[1])
        except (OverflowError, ValueError):
            return None


@dataclass(frozen=True, slots=True)
class AgencyQuery:
    """One agency's list; every filter optional.  `status` None means every open status;
    `overdue_on` is today in the center's calendar when only overdue requests are wanted."""

    agency_id: int
    status: Status | None = None
    topic: str | None = None
    overdue_on: date | None = None
    tracking_code: str | None = None
    created_from: datetime | None = None
    created_before: datetime | None = None
    after: DueCursor | None = None
    limit: int = 50


@dataclass(frozen=True, slots=True)
class AgencyRequestRow:
    id: int
    tracking_code: str
    status: Status
    topic: str | None
    topic_name: str | None
    summary: str | None
    caller_e164: str | None
    created_at: datetime
    assigned_at: datetime | None
    due_on: date
    answered_at: datetime | None
    answered_late: bool | None
    version: int

    @property
    def cursor(self) -> DueCursor:
        return DueCursor(self.due_on, self.id)

    def days_left(self, today: date) -> int | None:
        """Days to the deadline (negative when late) while the agency owes an answer."""
        return days_left(self.due_on, today) if self.status in AWAITING_AGENCY else None


@dataclass(frozen=True, slots=True)
class AgencyRequestPage:
    rows: list[AgencyRequestRow]
    next_cursor: DueCursor | None


@dataclass(frozen=True, slots=True)
class AgencyInfo:
    id: int
    name: str
    center_id: int
    center_name: str
    timezone: str


@dataclass(frozen=True, slots=True)
class Notice:
    id: int
    request_id: int | None
    tracking_code: str | None
    kind: str
    subject: str
    body: str
    created_at: datetime
    read_at: datetime | None

    @property
    def unread(self) -> bool:
        return self.read_at is None


def _row(r: asyncpg.Record) -> AgencyRequestRow:
    return AgencyRequestRow(
        id=r["id"], tracking_code=r["tracking_code"], status=Status(r["status"]),
        topic=r["topic"], topic_name=r["topic_name"], summary=r["summary"],
        caller_e164=r["caller_e164"], created_at=r["created_at"], assigned_at=r["assigned_at"],
        due_on=r["due_on"], answered_at=r["answered_at"], answered_late=r["answered_late"],
        version=r["version"],
    )  # fmt: skip


def page_size(query: AgencyQuery) -> int:
    return max(1, min(int(query.limit), MAX_LIMIT))


def build_query(query: AgencyQuery) -> tuple[str, list[object]]:
    """The SQL and parameters for one page (one row more than the page size)."""
    where = Where()
    where.add("r.agency_id = {}", query.agency_id)
    where.add("r.due_on IS NOT NULL")
    if query.status is not None:
        where.add("r.status = {}", query.status.value)
    else:
        # The condition of the partial index requests_agency_due_idx, word for word.
        where.add("r.status <> 'closed'")
    if query.overdue_on is not None:
        where.add("r.status IN ('assigned', 'escalated') AND r.due_on < {}", query.overdue_on)
    if query.topic is not None:
        where.add("r.topic = {}", query.topic)
    if query.tracking_code is not None:
        where.add("r.tracking_code = {}", query.tracking_code)
    if query.created_from is not None:
        where.add("r.created_at >= {}", query.created_from)
    if query.created_before is not None:
        where.add("r.created_at < {}", query.created_before)
    if query.after is not None:
        where.add("(r.due_on, r.id) > ({}, {})", query.after.due_on, query.after.request_id)
    sql = _SELECT + where.sql() + f"ORDER BY r.due_on, r.id\nLIMIT {page_size(query) + 1:d}"
    return sql, where.args


class AgencyPortalRepository:
    def __init__(self, pool: Pool) -> None:
        self._pool = pool

    async def agency(self, agency_id: int) -> AgencyInfo | None:
        async with connection(self._pool) as conn:
            r = await conn.fetchrow(AGENCY_SQL, agency_id)
        if r is None:
            return None
        return AgencyInfo(r["id"], r["name"], r["center_id"], r["center_name"], r["timezone"])

    async def requests(self, query: AgencyQuery) -> AgencyRequestPage:
        sql, args = build_query(query)
        async with connection(self._pool) as conn:
            rows = [_row(r) for r in await conn.fetch(sql, *args)]
        limit = page_size(query)
        more = len(rows) > limit
        rows = rows[:limit]
        return AgencyRequestPage(rows, rows[-1].cursor if more and rows else None)

    async def topics(self, center_id: int) -> list[tuple[str, str]]:
        """The center's topics (retired ones too: old requests carry them), as (code, name)."""
        async with connection(self._pool) as conn:
            return [(r["code"], r["name"]) for r in await conn.fetch(TOPICS_SQL, center_id)]

    async def notices(self, agency_id: int, limit: int = NOTICES_SHOWN) -> list[Notice]:
        """The latest notices, unread first."""
        async with connection(self._pool) as conn:
            rows = await conn.fetch(NOTICES_SQL, agency_id, limit)
        return [
            Notice(
                r["id"],
                r["request_id"],
                r["tracking_code"],
                r["kind"],
                r["subject"],
                r["body"],
                r["created_at"],
                r["read_at"],
            )
            for r in rows
        ]

    async def unread_count(self, agency_id: int) -> int:
        async with connection(self._pool) as conn:
            return int(await conn.fetchval(UNREAD_SQL, agency_id))

    async def mark_read(self, agency_id: int, notice_id: int, now: datetime) -> bool:
        """Mark one of the agency's notices read; False when it is not theirs or was read."""
        async with connection(self._pool) as conn:
            status = await conn.execute(MARK_READ_SQL, agency_id, notice_id, now)
        return status.endswith(" 1")

    async def mark_all_read(self, agency_id: int, now: datetime) -> int:
        async with connection(self._pool) as conn:
            status = await conn.execute(MARK_ALL_READ_SQL, agency_id, now)
        return int(status.rsplit(" ", 1)[-1])
