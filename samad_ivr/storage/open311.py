"""Open311 GeoReport v2 rows: topics as services, requests without any personal data.

Only columns that say nothing about the citizen are read here — the tracking code,
status, topic, center, agency and the dates.  The caller's number, the desk's summary,
the answers and the recordings are never selected, so no view built on this module can
leak them.  The list is one index range walked backwards (0019's indexes) and cut at
the limit; each optional filter adds a constant SQL fragment with its own `$n`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

import asyncpg

from samad_ivr.domain.lifecycle import Status
from samad_ivr.storage.db import Pool, connection, require_aware

__all__ = ["Open311Filter", "Open311Repository", "PublicRequest", "PublicService"]

MAX_REQUESTS = 1000

SERVICES_SQL = """
SELECT DISTINCT ON (code) code, name FROM topics
WHERE active ORDER BY code, center_id
"""
CENTER_SERVICES_SQL = """
SELECT t.code, t.name FROM topics t JOIN centers c ON c.id = t.center_id
WHERE c.code = $1 AND t.active ORDER BY t.position, t.name, t.code
"""
CENTER_ID_SQL = "SELECT id FROM centers WHERE code = $1"
_SELECT = """
SELECT r.tracking_code, r.status, r.topic, r.created_at, r.due_on,
       c.code AS center_code, COALESCE(c.timezone, 'Asia/Tehran') AS timezone,
       ag.name AS agency, t.name AS topic_name,
       (SELECT h.at FROM request_history h WHERE h.request_id = r.id
         ORDER BY h.id DESC LIMIT 1) AS updated_at
FROM requests r
LEFT JOIN centers c ON c.id = r.center_id
LEFT JOIN agencies ag ON ag.id = r.agency_id
LEFT JOIN topics t ON t.center_id = r.center_id AND t.code = r.topic
"""
ONE_SQL = _SELECT + "WHERE r.tracking_code = $1"
_RANGE = "WHERE r.created_at >= $1 AND r.created_at < $2"
_TOPIC = " AND r.topic = ${n}"
# Written as the expression of requests_open311_closed_idx so the planner can walk it.
_CLOSED = " AND (r.status = 'closed') = ${n}::boolean"
_CENTER = " AND r.center_id = ${n}"
_ORDER = " ORDER BY r.created_at DESC, r.id DESC LIMIT ${n}"
# asyncpg prepares every statement, and after five runs PostgreSQL may switch it to a
# generic plan, which cannot know how wide the dates are or how rare a topic is: it
# then walks the date index filtering every row of the range (the whole table for a
# topic nobody uses).  Each list is therefore planned for its own values.
CUSTOM_PLAN_SQL = "SET LOCAL plan_cache_mode = force_custom_plan"


@dataclass(frozen=True, slots=True)
class PublicService:
    code: str
    name: str


@dataclass(frozen=True, slots=True)
class PublicRequest:
    """What the public may know about one request."""

    tracking_code: str
    status: Status
    topic: str | None
    topic_name: str | None
    center_code: str | None
    agency: str | None
    created_at: datetime
    updated_at: datetime
    due_on: date | None
    tz: ZoneInfo


@dataclass(frozen=True, slots=True)
class Open311Filter:
    start: datetime
    end: datetime
    service_code: str | None = None
    closed: bool | None = None  # None: open and closed
    center_code: str | None = None
    limit: int = MAX_REQUESTS


def list_query(f: Open311Filter, center_id: int | None) -> tuple[str, list[object]]:
    """The list's SQL and its arguments: constant fragments, one `$n` per filter."""
    sql, args = _SELECT + _RANGE, list[object]([f.start, f.end])
    for fragment, value in ((_TOPIC, f.service_code), (_CLOSED, f.closed), (_CENTER, center_id)):
        if value is not None:
            args.append(value)
            sql += fragment.format(n=len(args))
    args.append(max(1, min(f.limit, MAX_REQUESTS)))
    return sql + _ORDER.format(n=len(args)), args


def _request(r: asyncpg.Record) -> PublicRequest:
    return PublicRequest(
        tracking_code=r["tracking_code"],
        status=Status(r["status"]),
        topic=r["topic"],
        topic_name=r["topic_name"],
        center_code=r["center_code"],
        agency=r["agency"],
        created_at=r["created_at"],
        updated_at=r["updated_at"] or r["created_at"],
        due_on=r["due_on"],
        tz=ZoneInfo(r["timezone"]),
    )


class Open311Repository:
    def __init__(self, pool: Pool) -> None:
        self._pool = pool

    async def services(self, center_code: str | None) -> list[PublicService]:
        """Active topics of one center, or one name per code across every center."""
        async with connection(self._pool) as conn:
            if center_code is None:
                rows = await conn.fetch(SERVICES_SQL)
            else:
                rows = await conn.fetch(CENTER_SERVICES_SQL, center_code)
        return [PublicService(r["code"], r["name"]) for r in rows]

    async def center_exists(self, center_code: str) -> bool:
        async with connection(self._pool) as conn:
            return await conn.fetchval(CENTER_ID_SQL, center_code) is not None

    async def requests(self, f: Open311Filter) -> list[PublicRequest]:
        """Newest first, at most `f.limit` (never more than 1,000); an unknown center
        has no requests."""
        require_aware(f.start, "start")
        require_aware(f.end, "end")
        async with connection(self._pool) as conn, conn.transaction(readonly=True):
            await conn.execute(CUSTOM_PLAN_SQL)
            center_id = None
            if f.center_code is not None:
                center_id = await conn.fetchval(CENTER_ID_SQL, f.center_code)
                if center_id is None:
                    return []
            sql, args = list_query(f, center_id)
            rows = await conn.fetch(sql, *args)
        return [_request(r) for r in rows]

    async def request(self, tracking_code: str) -> PublicRequest | None:
        async with connection(self._pool) as conn:
            row = await conn.fetchrow(ONE_SQL, tracking_code)
        return None if row is None else _request(row)
