"""Aggregates for the national dashboard, over exactly the search's filters.

The calls counted are the ones the search would list: the WHERE clause comes from
`samad_ivr.storage.search.filter_where`, so a province admin's `visible_centers` holds
here as it does there.  Everything is counted in SQL (a few dozen rows come back, however
many calls there are), over a bounded range of `calls.started_at` (an index range scan);
the repository refuses an unbounded search.  Days are the hotline's local days.

The five queries run in one read-only REPEATABLE READ transaction, so the charts of one
page agree with each other even while calls are being written.  Each may take
`statement_timeout_ms` (8 s, under the pool's 10 s command timeout, so the server cancels
cleanly); a year of every province on a busy server can need more, which raises
`DashboardTooSlow` instead of holding a connection.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg

from samad_ivr.storage.db import Pool, StorageError, connection
from samad_ivr.storage.search import CallSearch, filter_where

__all__ = [
    "WAIT_EDGES", "CenterStats", "Dashboard", "DashboardRepository", "DashboardTooSlow",
    "DayStats", "OfficialStats", "TopicStats",
]  # fmt: skip

# Lower edges (seconds) of the queue-wait histogram's buckets; the last one is open.
WAIT_EDGES = (0, 30, 60, 120, 300)
TOP_OFFICIALS = 10

_FROM = "FROM calls c\nLEFT JOIN requests r ON r.call_id = c.id\n"

# `queue_wait_seconds` is what the queue recorded (QEHOLDTIME, or enter-to-hangup); calls
# that never queued have NULL there, which count(), width_bucket() and the percentiles
# skip.  Each query is a plain (parallel, hashed) aggregate over the same range; only the
# percentiles sort, and only the calls that waited; only REQUESTS_SQL needs the requests.
DAYS_SQL = """
SELECT (c.started_at AT TIME ZONE {tz})::date AS day, count(*) AS calls,
       count(*) FILTER (WHERE c.disposition = 'answered') AS answered,
       count(*) FILTER (WHERE c.disposition = 'message') AS message,
       count(*) FILTER (WHERE c.disposition = 'abandoned') AS abandoned,
       count(c.queue_wait_seconds) AS waited
{from_}{where}GROUP BY 1
"""

WAITS_SQL = """
SELECT (c.started_at AT TIME ZONE {tz})::date AS day,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY c.queue_wait_seconds::float8) AS median_wait,
       percentile_cont(0.9) WITHIN GROUP (ORDER BY c.queue_wait_seconds::float8) AS p90_wait
{from_}{where}GROUP BY 1
"""

WAIT_BUCKETS_SQL = """
SELECT width_bucket(c.queue_wait_seconds, {edges}::numeric[]) AS bucket, count(*) AS calls
{from_}{where}GROUP BY 1
"""

OFFICIALS_SQL = """
WITH per AS (
    SELECT c.official_id, count(*) AS calls,
           count(*) FILTER (WHERE c.disposition = 'answered') AS answered
    {from_}{where}GROUP BY c.official_id
)
SELECT per.*, o.name AS official_name, ce.name AS center_name
FROM per
LEFT JOIN officials o ON o.id = per.official_id
LEFT JOIN centers ce ON ce.id = o.center_id
"""

# The requests of these calls, in one pass over the range grouped three ways: per topic;
# and per day and per province, how the agencies answered (the latest answer of each) and
# how many are at the long stop (a second escalation, still open).
REQUESTS_SQL = """
WITH per AS (
    SELECT GROUPING(c.center_id) AS not_center, GROUPING(r.topic) AS not_topic,
           (c.started_at AT TIME ZONE {tz})::date AS day, c.center_id, r.topic,
           count(*) AS requests,
           count(*) FILTER (WHERE r.answered_late = false) AS on_time,
           count(*) FILTER (WHERE r.answered_late) AS late,
           count(*) FILTER (WHERE r.long_stop_at IS NOT NULL AND r.status <> 'closed')
               AS long_stop
    {from_}{where}GROUP BY GROUPING SETS (
        ((c.started_at AT TIME ZONE {tz})::date), (c.center_id), (r.topic))
)
SELECT per.*, ce.name AS center_name FROM per LEFT JOIN centers ce ON ce.id = per.center_id
"""

# For this transaction only: a time limit; sort a month of waits in memory rather than on
# disk; price index probes as on SSD/cached data, so that one province's month joins its
# few thousand requests through requests_call_id_key (~10 ms) instead of hashing the
# whole requests table (~0.5 s at a million requests); and plan every statement for its
# own range (a day of one province and a year of all want different plans; planning
# costs a millisecond, a generic plan for the wrong one seconds).
SETTINGS_SQL = """
SELECT set_config('statement_timeout', $1, true), set_config('work_mem', '32MB', true),
       set_config('random_page_cost', '1.1', true),
       set_config('plan_cache_mode', 'force_custom_plan', true)
"""


class DashboardTooSlow(StorageError):
    """The aggregates took longer than the repository allows (a range too large)."""


@dataclass(frozen=True, slots=True)
class DayStats:
    """One local day; `other` covers failed/busy/no-answer and calls still in progress."""

    day: date
    calls: int = 0
    answered: int = 0
    message: int = 0
    abandoned: int = 0
    waited: int = 0
    median_wait: float | None = None
    p90_wait: float | None = None
    # Of the requests of the day's calls: answered on time / late, at the long stop now.
    on_time: int = 0
    late: int = 0
    long_stop: int = 0

    @property
    def other(self) -> int:
        return self.calls - self.answered - self.message - self.abandoned


@dataclass(frozen=True, slots=True)
class OfficialStats:
    official_id: int
    name: str
    center_name: str | None
    calls: int
    answered: int


@dataclass(frozen=True, slots=True)
class CenterStats:
    """One province's requests: answered on time / late, at the long stop now."""

    center_id: int | None  # None: calls without a center
    name: str | None
    on_time: int
    late: int
    long_stop: int

    @property
    def on_time_rate(self) -> float | None:
        answered = self.on_time + self.late
        return self.on_time / answered if answered else None


@dataclass(frozen=True, slots=True)
class TopicStats:
    topic: str | None  # None: the request has no topic (yet)
    requests: int


@dataclass(frozen=True, slots=True)
class Dashboard:
    days: tuple[DayStats, ...]  # every day of the range in order, empty days included
    wait_buckets: tuple[int, ...]  # calls per bucket of WAIT_EDGES
    officials: tuple[OfficialStats, ...]  # the busiest, most calls first
    other_officials_calls: int  # calls of the officials beyond `officials`
    calls_without_official: int
    topics: tuple[TopicStats, ...]
    centers: tuple[CenterStats, ...] = ()  # provinces with answered or long-stop requests

    def total(self, field: str) -> int:
        """The sum over the days of `calls`, `answered`, `message`, `abandoned`, `other`,
        `waited`, `on_time`, `late` or `long_stop`."""
        return sum(int(getattr(d, field)) for d in self.days)

    @property
    def on_time_rate(self) -> float | None:
        """Requests answered on time / answered; None when none was answered."""
        answered = self.total("on_time") + self.total("late")
        return self.total("on_time") / answered if answered else None


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


def _day(r: asyncpg.Record, waits: asyncpg.Record | None, life: asyncpg.Record | None) -> DayStats:
    return DayStats(
        day=r["day"], calls=r["calls"], answered=r["answered"], message=r["message"],
        abandoned=r["abandoned"], waited=r["waited"],
        median_wait=None if waits is None else _float(waits["median_wait"]),
        p90_wait=None if waits is None else _float(waits["p90_wait"]),
        on_time=0 if life is None else life["on_time"], late=0 if life is None else life["late"],
        long_stop=0 if life is None else life["long_stop"],
    )  # fmt: skip


def _center(r: asyncpg.Record) -> CenterStats:
    return CenterStats(r["center_id"], r["center_name"], r["on_time"], r["late"], r["long_stop"])


def _official(r: asyncpg.Record) -> OfficialStats:
    return OfficialStats(
        official_id=r["official_id"], name=r["official_name"] or "",
        center_name=r["center_name"], calls=r["calls"], answered=r["answered"],
    )  # fmt: skip


def _local_days(search: CallSearch, tz: ZoneInfo) -> list[date]:
    if search.started_from is None or search.started_before is None:
        raise ValueError("the dashboard counts over a bounded range of days")
    first = search.started_from.astimezone(tz).date()
    last = (search.started_before.astimezone(tz) - timedelta(microseconds=1)).date()
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def _statement(
    template: str, search: CallSearch, *conditions: str, **params: Any
) -> tuple[str, list[Any]]:
    """`template` with the search's WHERE clause (plus `conditions`) and `params` as
    parameters named like the template's fields."""
    # Requests' topics exist from migration 0007 on, which this module requires.
    where = filter_where(search, topic_column=True)
    placeholders = {name: where.param(value) for name, value in params.items()}
    for condition in conditions:
        where.add(condition)
    return template.format(from_=_FROM, where=where.sql(), **placeholders), where.args


class DashboardRepository:
    def __init__(self, pool: Pool, *, statement_timeout_ms: int = 8000) -> None:
        self._pool = pool
        self._timeout = str(statement_timeout_ms)

    async def summary(
        self, search: CallSearch, *, tz: ZoneInfo, top: int = TOP_OFFICIALS
    ) -> Dashboard:
        """The aggregates of the calls `search` matches (its cursor and limit are ignored);
        `search` must bound `started_at` at both ends."""
        days = _local_days(search, tz)
        statements = (
            _statement(DAYS_SQL, search, tz=tz.key),
            _statement(WAITS_SQL, search, "c.queue_wait_seconds IS NOT NULL", tz=tz.key),
            _statement(
                WAIT_BUCKETS_SQL, search, "c.queue_wait_seconds IS NOT NULL", edges=WAIT_EDGES
            ),
            _statement(OFFICIALS_SQL, search),
            _statement(REQUESTS_SQL, search, "r.id IS NOT NULL", tz=tz.key),
        )
        try:
            async with (
                connection(self._pool) as conn,
                conn.transaction(isolation="repeatable_read", readonly=True),
            ):
                await conn.execute(SETTINGS_SQL, self._timeout)
                results = [await conn.fetch(sql, *args) for sql, args in statements]
        except asyncpg.QueryCanceledError as exc:
            raise DashboardTooSlow(str(exc)) from exc
        day_rows, wait_rows, bucket_rows, official_rows, request_rows = results
        by_day = {r["day"]: r for r in day_rows}
        waits_by_day = {r["day"]: r for r in wait_rows}
        life_by_day = {r["day"]: r for r in request_rows if r["not_center"] and r["not_topic"]}
        topics = sorted(
            (TopicStats(r["topic"], r["requests"]) for r in request_rows if not r["not_topic"]),
            key=lambda t: (-t.requests, t.topic is None, t.topic or ""),
        )
        centers = sorted(
            (_center(r) for r in request_rows if not r["not_center"]),
            key=lambda c: (c.center_id is None, c.name or "", c.center_id or 0),
        )
        buckets = [0] * len(WAIT_EDGES)
        for r in bucket_rows:
            buckets[r["bucket"] - 1] = r["calls"]
        officials = sorted(
            (_official(r) for r in official_rows if r["official_id"] is not None),
            key=lambda o: (-o.calls, o.name, o.official_id),
        )
        return Dashboard(
            days=tuple(
                _day(by_day[d], waits_by_day.get(d), life_by_day.get(d))
                if d in by_day
                else DayStats(d)
                for d in days
            ),
            wait_buckets=tuple(buckets),
            officials=tuple(officials[:top]),
            other_officials_calls=sum(o.calls for o in officials[top:]),
            calls_without_official=sum(
                r["calls"] for r in official_rows if r["official_id"] is None
            ),
            topics=tuple(topics),
            centers=tuple(c for c in centers if c.on_time or c.late or c.long_stop),
        )
