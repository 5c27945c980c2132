"""Search over calls and their requests for the national office and province admins.

Keyset pagination only: rows come newest first (`started_at DESC, id DESC`) and the next
page starts strictly after the last row's `(started_at, id)`.  OFFSET would make page
5,000 of a million calls read 5,000 pages; the indexes of 0006 make every page one
index range scan.  The SQL is assembled from fixed fragments with `$n` parameters; the
only value formatted into the text is the page size, an int clamped to 1..200 (see
`build_query`).

`requests.topic` arrives in migration 0007 (another change); the topic filter is only
applied when the column exists, which is checked once per repository.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg

from samad_ivr.domain.deadlines import is_overdue
from samad_ivr.domain.lifecycle import Status
from samad_ivr.storage.db import Pool, connection, require_aware
from samad_ivr.storage.keyset import parse_pair, parts_token

__all__ = [
    "CallHit", "CallSearch", "CallSearchRepository", "Cursor", "Overdue", "SearchPage",
    "Where", "filter_where",
]  # fmt: skip

MAX_LIMIT = 200

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICRO = timedelta(microseconds=1)

# Fragments: (SQL with `{}` for the parameter number, python value).  Only these exist.
_SELECT = """
SELECT c.id, c.uniqueid, c.center_id, ce.name AS center_name, c.caller_e164, c.caller_raw,
       c.started_at, c.answered_at, c.ended_at, c.disposition, c.route,
       c.official_id, o.name AS official_name,
       r.id AS request_id, r.tracking_code, r.status, r.agency_id, a.name AS agency_name,
       {topic} AS topic, r.due_on, ce.timezone AS center_timezone,
       (SELECT array_agg(rec.id ORDER BY rec.kind, rec.id) FROM recordings rec
        WHERE rec.call_id = c.id) AS recording_ids,
       (SELECT array_agg(sl.typed || ':' || sl.outcome ORDER BY sl.id) FROM status_lookups sl
        WHERE sl.call_uniqueid = c.uniqueid) AS status_lookups
FROM calls c
LEFT JOIN centers ce ON ce.id = c.center_id
LEFT JOIN officials o ON o.id = c.official_id
LEFT JOIN requests r ON r.call_id = c.id
LEFT JOIN agencies a ON a.id = r.agency_id
"""

TOPIC_COLUMN_SQL = """
SELECT EXISTS (SELECT 1 FROM information_schema.columns
               WHERE table_schema = current_schema() AND table_name = 'requests'
                 AND column_name = 'topic')
"""


@dataclass(frozen=True, slots=True)
class Cursor:
    """Where a page ends: the last row's start time and id."""

    started_at: datetime
    call_id: int

    def token(self) -> str:
        return parts_token((self.started_at - _EPOCH) // _MICRO, self.call_id)

    @classmethod
    def parse(cls, token: str) -> Cursor | None:
        """None for anything we did not issue."""
        pair = parse_pair(token)
        if pair is None:
            return None
        try:
            at = _EPOCH + pair[0] * _MICRO
        except (OverflowError, OSError, ValueError):
            return None
        return cls(at, pair[1])


@dataclass(frozen=True, slots=True)
class Overdue:
    """The "overdue now" filter: requests escalated, or assigned with the whole of their
    `due_on` passed at `now` in their center's time zone (`default_tz` without one)."""

    now: datetime
    default_tz: str

    def __post_init__(self) -> None:
        require_aware(self.now, "now")
        ZoneInfo(self.default_tz)  # an unknown zone fails here, not in the database


# Written so that each arm can start from requests_status_due_idx (0012): `due_on < $upper`
# is the bound every time zone satisfies (no local date is later than UTC's next day); the
# exact local day is then checked per row, and only for the requests still waiting.
_OVERDUE_SQL = """(r.status = 'escalated' OR (r.status = 'assigned' AND r.due_on < {}::date
    AND r.due_on < ({}::timestamptz AT TIME ZONE coalesce(
        (SELECT tz.timezone FROM centers tz WHERE tz.id = r.center_id), {}))::date))"""


@dataclass(frozen=True, slots=True)
class CallSearch:
    """Filters, all optional; `visible_centers` None means every center (national)."""

    visible_centers: frozenset[int] | None
    started_from: datetime | None = None
    started_before: datetime | None = None
    center_id: int | None = None
    official_id: int | None = None
    agency_id: int | None = None
    topic: str | None = None
    status: str | None = None
    caller_e164: str | None = None
    tracking_code: str | None = None
    overdue: Overdue | None = None
    live_only: bool = False
    after: Cursor | None = None
    limit: int = 50


@dataclass(frozen=True, slots=True)
class CallHit:
    id: int
    uniqueid: str
    center_id: int | None
    center_name: str | None
    caller_e164: str | None
    caller_raw: str
    started_at: datetime
    answered_at: datetime | None
    ended_at: datetime | None
    disposition: str | None
    route: str | None
    official_id: int | None
    official_name: str | None
    request_id: int | None
    tracking_code: str | None
    status: str | None
    agency_id: int | None
    agency_name: str | None
    topic: str | None
    due_on: date | None  # the agency's deadline (a local day of the center)
    center_timezone: str | None
    recording_ids: tuple[int, ...]
    # Codes typed for status by phone on this call: (as typed, outcome), in order (0017).
    status_lookups: tuple[tuple[str, str], ...] = ()

    @property
    def live(self) -> bool:
        return self.ended_at is None

    def overdue(self, now: datetime, default_tz: str) -> bool:
        """What the "overdue now" filter keeps: escalated, or assigned past its deadline."""
        if self.status == Status.ESCALATED:
            return True
        if self.status != Status.ASSIGNED or self.due_on is None:
            return False
        return is_overdue(self.due_on, now, ZoneInfo(self.center_timezone or default_tz))

    @property
    def cursor(self) -> Cursor:
        return Cursor(self.started_at, self.id)


@dataclass(frozen=True, slots=True)
class SearchPage:
    hits: list[CallHit]
    next_cursor: Cursor | None
    topic_supported: bool = field(default=True)


def _hit(r: asyncpg.Record) -> CallHit:
    return CallHit(
        id=r["id"], uniqueid=r["uniqueid"], center_id=r["center_id"],
        center_name=r["center_name"], caller_e164=r["caller_e164"], caller_raw=r["caller_raw"],
        started_at=r["started_at"], answered_at=r["answered_at"], ended_at=r["ended_at"],
        disposition=r["disposition"], route=r["route"], official_id=r["official_id"],
        official_name=r["official_name"], request_id=r["request_id"],
        tracking_code=r["tracking_code"], status=r["status"], agency_id=r["agency_id"],
        agency_name=r["agency_name"], topic=r["topic"], due_on=r["due_on"],
        center_timezone=r["center_timezone"], recording_ids=tuple(r["recording_ids"] or ()),
        status_lookups=tuple(
            (typed, outcome) for typed, _, outcome in
            (pair.rpartition(":") for pair in r["status_lookups"] or ())
        ),
    )  # fmt: skip


@dataclass(slots=True)
class Where:
    """WHERE conditions and their `$n` parameters, assembled from fixed SQL fragments."""

    conditions: list[str] = field(default_factory=list)
    args: list[Any] = field(default_factory=list)

    def param(self, value: Any) -> str:
        """`value` as the next parameter; its placeholder (`$3`)."""
        self.args.append(value)
        return f"${len(self.args)}"

    def add(self, fragment: str, *values: Any) -> None:
        """A condition: `fragment` with one `{}` per value."""
        self.conditions.append(fragment.format(*(self.param(v) for v in values)))

    def sql(self) -> str:
        if not self.conditions:
            return ""
        return "WHERE " + "\n  AND ".join(self.conditions) + "\n"


def filter_where(search: CallSearch, *, topic_column: bool) -> Where:
    """The search's filters (not its page cursor) over `calls c LEFT JOIN requests r ON
    r.call_id = c.id`: the one place that decides which calls a user may count or list."""
    where = Where()
    if search.visible_centers is not None:
        where.add("c.center_id = ANY({}::int[])", sorted(search.visible_centers))
    if search.center_id is not None:
        where.add("c.center_id = {}", search.center_id)
    if search.started_from is not None:
        where.add("c.started_at >= {}", search.started_from)
    if search.started_before is not None:
        where.add("c.started_at < {}", search.started_before)
    if search.official_id is not None:
        where.add("c.official_id = {}", search.official_id)
    if search.agency_id is not None:
        where.add("r.agency_id = {}", search.agency_id)
    if search.status is not None:
        where.add("r.status = {}", search.status)
    if search.topic is not None and topic_column:
        where.add("r.topic = {}", search.topic)
    if search.caller_e164 is not None:
        where.add("c.caller_e164 = {}", search.caller_e164)
    if search.tracking_code is not None:
        where.add("r.tracking_code = {}", search.tracking_code)
    if search.overdue is not None:
        now = search.overdue.now
        upper = now.astimezone(UTC).date() + timedelta(days=1)
        where.add(_OVERDUE_SQL, upper, now, search.overdue.default_tz)
    if search.live_only:
        where.add("c.ended_at IS NULL")
    return where


def _keyset(search: CallSearch) -> tuple[str, str]:
    """The (start, id) columns a page is ordered and cut by.

    Filtered by request status or "overdue now", the matching calls are few and far
    apart, so the page walks the requests in their calls' order instead
    (`requests.call_started_at`, kept equal to `calls.started_at` by 0012's triggers, and
    `call_id`): one range of requests_status_started_idx / requests_waiting_started_idx
    rather than every call newest first until enough match.  Same rows, same order, so
    cursors mean the same either way."""
    if search.status is not None or search.overdue is not None:
        return "r.call_started_at", "r.call_id"
    return "c.started_at", "c.id"


def build_query(search: CallSearch, *, topic_column: bool) -> tuple[str, list[Any]]:
    """The SQL and its parameters for one page (one row more than the limit)."""
    where = filter_where(search, topic_column=topic_column)
    start, row_id = _keyset(search)
    if start != "c.started_at":
        # The requests' copies of the province and the range (a request's center is its
        # call's, 0009), so both narrow the walk over requests instead of being checked
        # call by call afterwards.
        if search.visible_centers is not None:
            where.add("r.center_id = ANY({}::int[])", sorted(search.visible_centers))
        if search.center_id is not None:
            where.add("r.center_id = {}", search.center_id)
        if search.started_from is not None:
            where.add(f"{start} >= {{}}", search.started_from)
        if search.started_before is not None:
            where.add(f"{start} < {{}}", search.started_before)
    if search.after is not None:
        where.add(
            f"({start}, {row_id}) < ({{}}, {{}})", search.after.started_at, search.after.call_id
        )
    sql = _SELECT.format(topic="r.topic" if topic_column else "NULL::text") + where.sql()
    # The limit is the one value written into the text: an int from `page_size` (1..200).
    # As a parameter, PostgreSQL must re-plan every execution (~1.5 ms at a million calls,
    # more than running the query), because a generic plan for an unknown LIMIT assumes
    # 10% of the table (parallel scans, JIT); with the number in the text the prepared
    # statement's generic plan is as good as a custom one and is reused.
    sql += f"ORDER BY {start} DESC, {row_id} DESC\nLIMIT {page_size(search) + 1:d}"
    return sql, where.args


def page_size(search: CallSearch) -> int:
    """The rows a page shows: the search's limit, clamped to 1..MAX_LIMIT."""
    return max(1, min(int(search.limit), MAX_LIMIT))


class CallSearchRepository:
    def __init__(self, pool: Pool) -> None:
        self._pool = pool
        self._topic_column: bool | None = None

    async def topic_supported(self) -> bool:
        if self._topic_column is None:
            async with connection(self._pool) as conn:
                self._topic_column = bool(await conn.fetchval(TOPIC_COLUMN_SQL))
        return self._topic_column

    async def search(self, search: CallSearch) -> SearchPage:
        topic = await self.topic_supported()
        sql, args = build_query(search, topic_column=topic)
        async with connection(self._pool) as conn:
            rows = await conn.fetch(sql, *args)
        hits = [_hit(r) for r in rows]
        limit = page_size(search)
        more = len(hits) > limit
        hits = hits[:limit]
        return SearchPage(hits, hits[-1].cursor if more and hits else None, topic)

    async def call(self, call_id: int) -> CallHit | None:
        """One call with its request and recordings, whatever its center."""
        sql = _SELECT.format(topic="NULL::text") + "WHERE c.id = $1"
        async with connection(self._pool) as conn:
            row = await conn.fetchrow(sql, call_id)
        return None if row is None else _hit(row)
