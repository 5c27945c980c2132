"""The inspectors' side of a province: their queues, their visits, a send-back notice.

Queues list open requests of one center, oldest deadline first (requests that have no
deadline yet come after those that have, oldest first), keyset-paged like the national
search.  Each queue is a set of statuses, each with an optional condition; the page is
one `UNION ALL` of per-status branches, each an ordered range scan of
`requests_center_status_due_idx (center_id, status, due_on, id)` cut at the page size,
merged and cut again.  So a page costs a few index ranges, whatever the province's
size and however deep the page.

Visits are not status moves: they live in `inspection_visits` (the case file shows
them in the timeline) and never in the append-only history.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from zoneinfo import ZoneInfo

import asyncpg

from samad_ivr.domain.deadlines import is_overdue
from samad_ivr.domain.lifecycle import OPEN_STATUSES, Status
from samad_ivr.storage.db import Pool, StorageError, connection, require_aware
from samad_ivr.storage.keyset import parts_token, token_parts
from samad_ivr.storage.search import Where

__all__ = [
    "MAX_LIMIT",
    "CenterInfo",
    "InspectionRepository",
    "Queue",
    "QueueCounts",
    "QueueCursor",
    "QueueItem",
    "QueuePage",
    "QueueQuery",
    "VisitRefused",
]

MAX_LIMIT = 200
MAX_FINDINGS = 10000
_CURSOR_RE = re.compile(r"(-|[0-9]{8})\.([0-9]{1,19})")


class Queue(StrEnum):
    OVERDUE = "overdue"  # escalated, or assigned and past the deadline the job has not seen
    ANSWERED = "answered"  # answers waiting for an inspector to accept or send back
    REOPENED = "reopened"  # the citizen was not convinced
    LONG_STOP = "long_stop"  # the second escalation: far past the deadline
    OPEN = "open"  # everything not closed


# Open statuses in the order the filter form lists them.
_OPEN = tuple(s for s in Status if s in OPEN_STATUSES)
# Per queue: (status, extra condition with `{today}` for the center's local date).
_BRANCHES: dict[Queue, tuple[tuple[Status, str | None], ...]] = {
    Queue.OVERDUE: ((Status.ESCALATED, None), (Status.ASSIGNED, "r.due_on < {today}")),
    Queue.ANSWERED: ((Status.ANSWERED, None),),
    Queue.REOPENED: ((Status.REOPENED, None),),
    Queue.LONG_STOP: tuple((s, "r.long_stop_at IS NOT NULL") for s in _OPEN),
    Queue.OPEN: tuple((s, None) for s in _OPEN),
}

_ITEM_COLUMNS = """
r.id, r.tracking_code, r.center_id, r.status, r.version, r.created_at, r.agency_id,
r.topic, left(r.summary, 200) AS summary, r.caller_e164, r.due_on, r.escalated_at,
r.long_stop_at, r.answered_at, r.answered_late
"""
_PAGE_SQL = """
SELECT q.*, a.name AS agency_name, t.name AS topic_name
FROM ({branches}) q
LEFT JOIN agencies a ON a.id = q.agency_id
LEFT JOIN topics t ON t.center_id = q.center_id AND t.code = q.topic
ORDER BY q.due_on NULLS LAST, q.id
LIMIT {limit:d}
"""
COUNTS_SQL = """
SELECT count(*) FILTER (WHERE status = 'escalated'
                           OR (status = 'assigned' AND due_on < $2)) AS overdue,
       count(*) FILTER (WHERE status = 'answered') AS answered,
       count(*) FILTER (WHERE status = 'reopened') AS reopened,
       count(*) FILTER (WHERE long_stop_at IS NOT NULL) AS long_stop,
       count(*) AS open
FROM requests WHERE center_id = $1 AND status = ANY($3::text[])
"""
CENTER_SQL = "SELECT id, name, COALESCE(timezone, 'Asia/Tehran') AS tz FROM centers WHERE id = $1"
CENTERS_SQL = "SELECT id, name, COALESCE(timezone, 'Asia/Tehran') AS tz FROM centers ORDER BY name"
AGENCIES_SQL = "SELECT id, name FROM agencies WHERE center_id = $1 ORDER BY name, id"
TOPICS_SQL = """
SELECT code, name FROM topics WHERE center_id = $1 AND active ORDER BY position, name
"""
VISIT_TARGET_SQL = """
SELECT r.center_id, r.created_at, COALESCE(ce.timezone, 'Asia/Tehran') AS tz,
       (SELECT a.id FROM agencies a WHERE a.id = $2 AND a.center_id = r.center_id) AS agency
FROM requests r LEFT JOIN centers ce ON ce.id = r.center_id WHERE r.id = $1
"""
# A second submit of the same note (a double click, a resent form) stores nothing new.
INSERT_VISIT_SQL = """
WITH same AS (
    SELECT id FROM inspection_visits
    WHERE request_id = $1 AND agency_id = $2 AND user_id = $3 AND visited_on = $4
      AND findings = $5
)
INSERT INTO inspection_visits (request_id, agency_id, user_id, visited_on, findings)
SELECT $1, $2, $3, $4, $5 WHERE NOT EXISTS (SELECT 1 FROM same)
RETURNING id
"""
SAME_VISIT_SQL = """
SELECT id FROM inspection_visits
WHERE request_id = $1 AND agency_id = $2 AND user_id = $3 AND visited_on = $4 AND findings = $5
ORDER BY id LIMIT 1
"""
# Two submits of one note at once: the second waits, then finds the first.
VISIT_LOCK_SQL = "SELECT pg_advisory_xact_lock(hashtextextended('visit:' || $1::bigint, 0))"


class VisitRefused(StorageError, ValueError):
    """A visit note that cannot be stored as given; `message_fa` says why."""

    def __init__(self, message: str, message_fa: str) -> None:
        super().__init__(message)
        self.message_fa = message_fa


@dataclass(frozen=True, slots=True)
class QueueCursor:
    """Where a page ends: the last row's deadline (None: it had none) and id."""

    due_on: date | None
    request_id: int

    def token(self) -> str:
        day = "-" if self.due_on is None else self.due_on.strftime("%Y%m%d")
        return parts_token(day, self.request_id)

    @classmethod
    def parse(cls, token: str) -> QueueCursor | None:
        """None for anything we did not issue."""
        parts = token_parts(token, _CURSOR_RE)
        if parts is None:
            return None
        try:
            day = None if parts[0] == "-" else datetime.strptime(parts[0], "%Y%m%d").date()
        except ValueError:
            return None
        return cls(day, int(parts[1]))


@dataclass(frozen=True, slots=True)
class QueueQuery:
    center_id: int
    queue: Queue
    now: datetime
    agency_id: int | None = None
    topic: str | None = None
    status: Status | None = None
    tracking_code: str | None = None
    after: QueueCursor | None = None
    limit: int = 50


@dataclass(frozen=True, slots=True)
class QueueItem:
    id: int
    tracking_code: str
    status: Status
    version: int
    created_at: datetime
    agency_id: int | None
    agency_name: str | None
    topic: str | None
    topic_name: str | None
    summary: str | None
    caller_e164: str | None
    due_on: date | None
    escalated_at: datetime | None
    long_stop_at: datetime | None
    answered_at: datetime | None
    answered_late: bool | None
    overdue: bool  # past the deadline while the agency still owes the answer

    @property
    def cursor(self) -> QueueCursor:
        return QueueCursor(self.due_on, self.id)


@dataclass(frozen=True, slots=True)
class QueuePage:
    items: list[QueueItem]
    next_cursor: QueueCursor | None


@dataclass(frozen=True, slots=True)
class QueueCounts:
    overdue: int
    answered: int
    reopened: int
    long_stop: int
    open: int

    def of(self, queue: Queue) -> int:
        count: int = getattr(self, queue.value)
        return count


@dataclass(frozen=True, slots=True)
class CenterInfo:
    id: int
    name: str
    timezone: str

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


def _item(r: asyncpg.Record, now: datetime, tz: ZoneInfo) -> QueueItem:
    status = Status(r["status"])
    owes = status in (Status.ASSIGNED, Status.ESCALATED)
    return QueueItem(
        id=r["id"], tracking_code=r["tracking_code"], status=status, version=r["version"],
        created_at=r["created_at"], agency_id=r["agency_id"], agency_name=r["agency_name"],
        topic=r["topic"], topic_name=r["topic_name"], summary=r["summary"],
        caller_e164=r["caller_e164"], due_on=r["due_on"], escalated_at=r["escalated_at"],
        long_stop_at=r["long_stop_at"], answered_at=r["answered_at"],
        answered_late=r["answered_late"],
        overdue=owes and r["due_on"] is not None and is_overdue(r["due_on"], now, tz),
    )  # fmt: skip


def page_size(limit: int) -> int:
    return max(1, min(int(limit), MAX_LIMIT))


def _branches(query: QueueQuery) -> list[tuple[Status, str | None]]:
    return [
        (status, condition)
        for status, condition in _BRANCHES[query.queue]
        if query.status is None or query.status is status
    ]


def build_page_query(query: QueueQuery, today: date) -> tuple[str, list[object]] | None:
    """The SQL and parameters of one page (one row more than its size); None when the
    queue holds no request of the status asked for."""
    branches = _branches(query)
    if not branches:
        return None
    where = Where()
    center = where.param(query.center_id)
    common = ""
    if query.agency_id is not None:
        common += f" AND r.agency_id = {where.param(query.agency_id)}"
    if query.topic is not None:
        common += f" AND r.topic = {where.param(query.topic)}"
    if query.tracking_code is not None:
        common += f" AND r.tracking_code = {where.param(query.tracking_code)}"
    # Past the cursor: rows with a later (deadline, id), then those without a deadline;
    # after a row without one, only later rows without one.  Each part is an index range.
    after = query.after
    if after is None:
        parts = [""]
    elif after.due_on is None:
        parts = [f" AND r.due_on IS NULL AND r.id > {where.param(after.request_id)}"]
    else:
        row = f"({where.param(after.due_on)}, {where.param(after.request_id)})"
        parts = [f" AND (r.due_on, r.id) > {row}", " AND r.due_on IS NULL"]
    today_param = where.param(today) if any(c and "{today}" in c for _s, c in branches) else ""
    size = page_size(query.limit) + 1
    selects = []
    for status, condition in branches:
        extra = "" if condition is None else " AND " + condition.format(today=today_param)
        # The status is an enum member's value, never input; everything else is a $n.
        selects += [
            f"(SELECT {_ITEM_COLUMNS} FROM requests r"
            f" WHERE r.center_id = {center} AND r.status = '{status.value}'"
            f"{extra}{common}{part} ORDER BY r.due_on, r.id LIMIT {size:d})"
            for part in parts
        ]
    return _PAGE_SQL.format(branches="\nUNION ALL\n".join(selects), limit=size), where.args


class InspectionRepository:
    def __init__(self, pool: Pool) -> None:
        self._pool = pool

    async def center(self, center_id: int) -> CenterInfo | None:
        async with connection(self._pool) as conn:
            r = await conn.fetchrow(CENTER_SQL, center_id)
        return None if r is None else CenterInfo(r["id"], r["name"], r["tz"])

    async def centers(self) -> list[CenterInfo]:
        async with connection(self._pool) as conn:
            rows = await conn.fetch(CENTERS_SQL)
        return [CenterInfo(r["id"], r["name"], r["tz"]) for r in rows]

    async def page(self, query: QueueQuery, tz: ZoneInfo) -> QueuePage:
        """One page of a queue of the center whose time zone is `tz`."""
        require_aware(query.now, "now")
        built = build_page_query(query, query.now.astimezone(tz).date())
        if built is None:
            return QueuePage([], None)
        sql, args = built
        async with connection(self._pool) as conn:
            rows = await conn.fetch(sql, *args)
        items = [_item(r, query.now, tz) for r in rows]
        size = page_size(query.limit)
        more = len(items) > size
        items = items[:size]
        return QueuePage(items, items[-1].cursor if more and items else None)

    async def counts(self, center_id: int, now: datetime, tz: ZoneInfo) -> QueueCounts:
        today = require_aware(now, "now").astimezone(tz).date()
        async with connection(self._pool) as conn:
            r = await conn.fetchrow(COUNTS_SQL, center_id, today, [s.value for s in _OPEN])
        assert r is not None  # an aggregate always yields a row
        return QueueCounts(r["overdue"], r["answered"], r["reopened"], r["long_stop"], r["open"])

    async def agencies(self, center_id: int) -> list[tuple[int, str]]:
        async with connection(self._pool) as conn:
            rows = await conn.fetch(AGENCIES_SQL, center_id)
        return [(r["id"], r["name"]) for r in rows]

    async def topics(self, center_id: int) -> list[tuple[str, str]]:
        """The center's active topics, in the admins' order."""
        async with connection(self._pool) as conn:
            rows = await conn.fetch(TOPICS_SQL, center_id)
        return [(r["code"], r["name"]) for r in rows]

    async def add_visit(
        self,
        request_id: int,
        *,
        agency_id: int,
        user_id: int,
        visited_on: date,
        findings: str,
        now: datetime,
    ) -> int:
        """Store an inspector's visit note; its id (the earlier one for a repeat)."""
        require_aware(now, "now")
        findings = findings.strip()
        if not findings:
            raise VisitRefused("findings are empty", "یافته‌های بازدید را بنویسید.")
        if len(findings) > MAX_FINDINGS:
            raise VisitRefused(
                "findings too long", "یافته‌ها بیش از ۱۰٬۰۰۰ نویسه است؛ کوتاه‌ترش کنید."
            )
        async with connection(self._pool) as conn, conn.transaction():
            await conn.execute(VISIT_LOCK_SQL, request_id)
            target = await conn.fetchrow(VISIT_TARGET_SQL, request_id, agency_id)
            if target is None:
                raise VisitRefused(f"request {request_id} does not exist", "درخواست پیدا نشد.")
            if target["agency"] is None:
                raise VisitRefused(
                    f"agency {agency_id} is not of the request's center",
                    "دستگاه بازدیدشده باید یکی از دستگاه‌های استان همین درخواست باشد.",
                )
            tz = ZoneInfo(target["tz"])
            if visited_on > now.astimezone(tz).date():
                raise VisitRefused("visit in the future", "تاریخ بازدید نمی‌تواند در آینده باشد.")
            if visited_on < target["created_at"].astimezone(tz).date():
                raise VisitRefused(
                    "visit before the request", "تاریخ بازدید پیش از ثبت درخواست است."
                )
            args = (request_id, agency_id, user_id, visited_on, findings)
            new_id = await conn.fetchval(INSERT_VISIT_SQL, *args)
            if new_id is None:
                new_id = await conn.fetchval(SAME_VISIT_SQL, *args)
        return int(new_id)
