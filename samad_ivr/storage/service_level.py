"""The numbers people ask for, counted from the call rows: per session and per day.

A *session* is one center's duty window on one local day (a center has one window a day),
so per session = per (center, local day).  Definitions (README, "Service level"):

- inbound calls: every call row except the outbound ones (`route` 'satisfaction' from
  0025, and 'callback', the route of the callbacks a desk places to a waiting caller);
- answered / abandoned: inbound calls whose `disposition` is 'answered' / 'abandoned';
  a caller who pressed 1 for a callback (0028's callbacks.origin_uniqueid) hung up by
  choice, with their place kept: not abandoned (their callback is counted instead);
- abandoned after how long: `ended_at - started_at` of the abandoned calls, the whole
  time the caller held on (greeting and queue), in the buckets of `ABANDON_EDGES`;
- callbacks made / reached: the attempts of 0028's callback_attempts (each a call we
  placed) / those the citizen answered (result 'answered'; the conversation is then a
  calls row with route 'callback').  Only the range and the province filters apply to
  them (an unanswered attempt has no call row for the other filters to look at);
- average speed of answer (ASA): the mean of `answered_at - started_at` over answered
  inbound calls that carry `answered_at`.  Chosen over `queue_wait_seconds`, which only
  queued calls carry (a call the desk took at once has none), so that mean would leave out
  the fast ones; `answered_at - started_at` exists for every answered call and is what the
  caller lived through;
- answered within T (`SAMAD_SERVICE_LEVEL_SECONDS`, 60 by default): answered inbound
  calls with `answered_at - started_at <= T`, as a share of the inbound calls that were
  answered (with `answered_at`) or abandoned (a caller who gave up counts against the
  share; one who chose to leave a message does not count either way).

The calls counted are exactly the search's (`filter_where`): a province admin counts
their own province.  Two hashed aggregates over one bounded range of `calls.started_at`
(calls_started_at_idx), in one read-only REPEATABLE READ transaction with the dashboard's
time limit.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg

from samad_ivr.storage.dashboard import SETTINGS_SQL, DashboardTooSlow
from samad_ivr.storage.db import Pool, connection
from samad_ivr.storage.search import CallSearch, Where, filter_where

__all__ = [
    "ABANDON_EDGES", "OUTBOUND_ROUTES", "ServiceLevel", "ServiceLevelRepository",
    "SessionStats",
]  # fmt: skip

# Lower edges (seconds) of the "abandoned after" buckets; the last one is open.
ABANDON_EDGES = (0, 10, 30, 60, 120, 300)
OUTBOUND_ROUTES = ("satisfaction", "callback")

_FROM = "FROM calls c\nLEFT JOIN requests r ON r.call_id = c.id\n"
_INBOUND = "c.route IS DISTINCT FROM 'satisfaction' AND c.route IS DISTINCT FROM 'callback'"
_ANSWERED = f"{_INBOUND} AND c.disposition = 'answered'"
# Answered calls that carry their answer time (rows of old releases may lack it).
_TIMED = f"{_ANSWERED} AND c.answered_at IS NOT NULL"
_TO_ANSWER = "extract(epoch FROM c.answered_at - c.started_at)"
_GAVE_UP = (
    f"{_INBOUND} AND c.disposition = 'abandoned'"
    " AND NOT EXISTS (SELECT 1 FROM callbacks cb WHERE cb.origin_uniqueid = c.uniqueid)"
)

# One pass over the range grouped per (day, center), a hashed aggregate; the days are the
# sums of their sessions (every number here adds up), so no second grouping is needed.
SESSIONS_SQL = f"""
WITH per AS (
    SELECT (c.started_at AT TIME ZONE {{tz}})::date AS day, c.center_id,
           count(*) FILTER (WHERE {_INBOUND}) AS calls,
           count(*) FILTER (WHERE {_ANSWERED}) AS answered,
           count(*) FILTER (WHERE {_GAVE_UP}) AS abandoned,
           count(*) FILTER (WHERE {_TIMED}) AS timed,
           sum({_TO_ANSWER}) FILTER (WHERE {_TIMED}) AS answer_seconds,
           count(*) FILTER (WHERE {_TIMED} AND {_TO_ANSWER} <= {{threshold}}::int)
               AS answered_within
    {{from_}}{{where}}GROUP BY 1, 2
)
SELECT per.*, ce.name AS center_name FROM per LEFT JOIN centers ce ON ce.id = per.center_id
"""

# The attempts of the callbacks (migration 0028), per (day, center); a small table.
CALLBACKS_SQL = """
SELECT (a.started_at AT TIME ZONE {tz})::date AS day, b.center_id, ce.name AS center_name,
       count(*) AS callbacks, count(*) FILTER (WHERE a.result = 'answered') AS reached
FROM callback_attempts a
JOIN callbacks b ON b.id = a.callback_id
LEFT JOIN centers ce ON ce.id = b.center_id
{where}GROUP BY 1, 2, 3
"""

ABANDON_BUCKETS_SQL = """
SELECT width_bucket(greatest(extract(epoch FROM c.ended_at - c.started_at), 0),
                    {edges}::numeric[])
           AS bucket, count(*) AS calls
{from_}{where}GROUP BY 1
"""
_ABANDONED = f"{_GAVE_UP} AND c.ended_at IS NOT NULL"


@dataclass(frozen=True, slots=True)
class SessionStats:
    """One center's day (`center_id` None with `all_centers`: the day of every center)."""

    day: date
    center_id: int | None
    center_name: str | None
    all_centers: bool = False
    calls: int = 0
    answered: int = 0
    abandoned: int = 0
    callbacks: int = 0
    callbacks_reached: int = 0
    timed: int = 0  # answered calls with answered_at
    answer_seconds: float = 0.0  # the sum of their answered_at - started_at
    answered_within: int = 0

    @property
    def average_speed_of_answer(self) -> float | None:
        return self.answer_seconds / self.timed if self.timed else None

    @property
    def service_level(self) -> float | None:
        """Answered within the threshold / (timed answered + abandoned); None with neither."""
        offered = self.timed + self.abandoned
        return self.answered_within / offered if offered else None


@dataclass(frozen=True, slots=True)
class ServiceLevel:
    threshold_seconds: int
    days: tuple[SessionStats, ...]  # every day of the range, empty days included
    sessions: tuple[SessionStats, ...]  # (day, center) with calls, by day then center
    abandon_buckets: tuple[int, ...]  # abandoned calls per bucket of ABANDON_EDGES

    @property
    def total(self) -> SessionStats:
        """The whole range as one row."""
        return summed(self.days[0].day if self.days else date.min, self.days)


_ADDED = (
    "calls", "answered", "abandoned", "callbacks", "callbacks_reached", "timed",
    "answered_within",
)  # fmt: skip


def summed(day: date, rows: Iterable[SessionStats]) -> SessionStats:
    """`rows` added up into one row of every center (every number here is additive)."""
    rows = list(rows)
    sums: dict[str, Any] = {f: sum(getattr(r, f) for r in rows) for f in _ADDED}
    seconds = sum(r.answer_seconds for r in rows)
    return SessionStats(day, None, None, all_centers=True, answer_seconds=seconds, **sums)


def _stats(r: asyncpg.Record) -> SessionStats:
    return SessionStats(
        day=r["day"], center_id=r["center_id"], center_name=r["center_name"],
        calls=r["calls"], answered=r["answered"],
        abandoned=r["abandoned"],
        timed=r["timed"], answer_seconds=float(r["answer_seconds"] or 0),
        answered_within=r["answered_within"],
    )  # fmt: skip


def _statement(
    template: str, search: CallSearch, condition: str | None, **params: Any
) -> tuple[str, list[Any]]:
    where = filter_where(search, topic_column=True)
    placeholders = {name: where.param(value) for name, value in params.items()}
    if condition is not None:
        where.add(condition)
    return template.format(from_=_FROM, where=where.sql(), **placeholders), where.args


def _callbacks_statement(search: CallSearch, tz: ZoneInfo) -> tuple[str, list[Any]]:
    where = Where()
    placeholder = where.param(tz.key)
    if search.visible_centers is not None:
        where.add("b.center_id = ANY({}::int[])", sorted(search.visible_centers))
    if search.center_id is not None:
        where.add("b.center_id = {}", search.center_id)
    where.add("a.started_at >= {}", search.started_from)
    where.add("a.started_at < {}", search.started_before)
    return CALLBACKS_SQL.format(tz=placeholder, where=where.sql()), where.args


def _with_callbacks(
    rows: list[SessionStats], callbacks: list[asyncpg.Record]
) -> list[SessionStats]:
    """The sessions with their callback attempts (a session may have only those)."""
    by_key = {(s.day, s.center_id): s for s in rows}
    for r in callbacks:
        key = (r["day"], r["center_id"])
        base = by_key.get(key) or SessionStats(r["day"], r["center_id"], r["center_name"])
        by_key[key] = replace(base, callbacks=r["callbacks"], callbacks_reached=r["reached"])
    return list(by_key.values())


class ServiceLevelRepository:
    def __init__(self, pool: Pool, *, statement_timeout_ms: int = 8000) -> None:
        self._pool = pool
        self._timeout = str(statement_timeout_ms)

    async def summary(
        self, search: CallSearch, days: list[date], *, tz: ZoneInfo, threshold_seconds: int
    ) -> ServiceLevel:
        """The numbers of the calls `search` matches over the local `days` it bounds."""
        statements = (
            _statement(SESSIONS_SQL, search, None, tz=tz.key, threshold=threshold_seconds),
            _statement(ABANDON_BUCKETS_SQL, search, _ABANDONED, edges=ABANDON_EDGES),
            _callbacks_statement(search, tz),
        )
        try:
            async with (
                connection(self._pool) as conn,
                conn.transaction(isolation="repeatable_read", readonly=True),
            ):
                await conn.execute(SETTINGS_SQL, self._timeout)
                session_rows, bucket_rows, callback_rows = [
                    await conn.fetch(sql, *args) for sql, args in statements
                ]
        except asyncpg.QueryCanceledError as exc:
            raise DashboardTooSlow(str(exc)) from exc
        rows = _with_callbacks([_stats(r) for r in session_rows], callback_rows)
        per_day: dict[date, list[SessionStats]] = defaultdict(list)
        for s in rows:
            per_day[s.day].append(s)
        sessions = sorted(
            (s for s in rows if s.calls + s.callbacks),
            key=lambda s: (s.day, s.center_name or "", s.center_id or 0),
        )
        buckets = [0] * len(ABANDON_EDGES)
        for r in bucket_rows:
            buckets[r["bucket"] - 1] = r["calls"]
        return ServiceLevel(
            threshold_seconds=threshold_seconds,
            days=tuple(summed(d, per_day.get(d, ())) for d in days),
            sessions=tuple(sessions),
            abandon_buckets=tuple(buckets),
        )
