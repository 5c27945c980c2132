"""The agency report: how the agencies answer the requests registered in a range of days.

Per agency and per topic (and in total): requests, answered on time, answered late,
open, overdue now, median days to answer, reopened share.  One set-based aggregate over
the requests registered in the range (an index range scan, see 0012) grouped three ways
at once (GROUPING SETS), plus two small look-ups for the names; a few dozen rows come
back however many requests there are.

What the figures mean, exactly:
- answered on time / late: `requests.answered_late` of the latest answer (false / true);
  a request sent back and not yet answered again counts as neither.
- open: every status but `closed`.
- overdue now: escalated, or assigned (waiting for the agency) with the whole of its
  `due_on` passed in its center's time zone at `now`.
- median days to answer: of `answered_at - assigned_at` (the latest round) over the
  answered requests, in days with fractions.
- reopened: requests with any `reopen` in their history, whatever their status now.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from samad_ivr.storage.db import Pool, StorageError, connection, require_aware

__all__ = [
    "AgencyReport", "AgencyReportRepository", "AgencyRow", "Figures", "ReportTooSlow",
    "TopicRow",
]  # fmt: skip

# The figures of one group, over `base` (one row per request counted).
_FIGURES = """
       count(*) AS requests,
       count(*) FILTER (WHERE answered_late = false) AS on_time,
       count(*) FILTER (WHERE answered_late) AS late,
       count(*) FILTER (WHERE status <> 'closed') AS open,
       count(*) FILTER (WHERE overdue) AS overdue,
       count(*) FILTER (WHERE reopened) AS reopened,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY took) AS median_days
"""

# $1/$2: the registration range; $3: now; $4: the time zone of requests without a center;
# $5: the centers counted (NULL: every center, also requests without one).
REPORT_SQL = f"""
WITH base AS (
    SELECT r.agency_id, r.topic, r.status, r.answered_late,
           extract(epoch FROM r.answered_at - r.assigned_at) / 86400 AS took,
           (r.status = 'escalated'
            OR (r.status = 'assigned'
                AND r.due_on < ($3::timestamptz AT TIME ZONE coalesce(ce.timezone, $4))::date))
               AS overdue,
           r.id IN (SELECT h.request_id FROM request_history h WHERE h.action = 'reopen')
               AS reopened
    FROM requests r
    LEFT JOIN centers ce ON ce.id = r.center_id
    WHERE r.created_at >= $1 AND r.created_at < $2
      AND ($5::int[] IS NULL OR r.center_id = ANY($5::int[]))
)
SELECT GROUPING(agency_id) AS not_agency, GROUPING(topic) AS not_topic, agency_id, topic,
{_FIGURES}
FROM base
GROUP BY GROUPING SETS ((agency_id), (topic), ())
"""

AGENCIES_SQL = """
SELECT a.id, a.name, ce.name AS center_name
FROM agencies a JOIN centers ce ON ce.id = a.center_id
WHERE a.id = ANY($1::int[])
"""

# Topic codes are the centers' own; across provinces a code is named as most of them
# name it, and sorted by where most of them put it.
TOPICS_SQL = """
SELECT code, mode() WITHIN GROUP (ORDER BY name) AS name,
       mode() WITHIN GROUP (ORDER BY position) AS position
FROM topics
WHERE code = ANY($1::text[]) AND ($2::int[] IS NULL OR center_id = ANY($2::int[]))
GROUP BY code
"""

SETTINGS_SQL = """
SELECT set_config('statement_timeout', $1, true), set_config('work_mem', '32MB', true),
       set_config('random_page_cost', '1.1', true)
"""


class ReportTooSlow(StorageError):
    """The report took longer than the repository allows (a range too large)."""


@dataclass(frozen=True, slots=True)
class Figures:
    requests: int = 0
    on_time: int = 0
    late: int = 0
    open: int = 0
    overdue: int = 0
    reopened: int = 0
    median_days: float | None = None  # None: nothing answered

    @property
    def answered(self) -> int:
        return self.on_time + self.late

    @property
    def unanswered_in_time(self) -> int:
        """Neither answered nor overdue: registered, within the deadline, resolved by the
        inspectors without an answer (on time + late + overdue + this = requests)."""
        return self.requests - self.answered - self.overdue

    @property
    def on_time_rate(self) -> float | None:
        """Answered on time / answered; None when nothing was answered."""
        return self.on_time / self.answered if self.answered else None

    @property
    def reopened_share(self) -> float | None:
        return self.reopened / self.requests if self.requests else None


@dataclass(frozen=True, slots=True)
class AgencyRow:
    agency_id: int | None  # None: not assigned to an agency (yet)
    name: str | None
    center_name: str | None
    figures: Figures


@dataclass(frozen=True, slots=True)
class TopicRow:
    topic: str | None  # None: no topic (yet)
    name: str | None
    figures: Figures


@dataclass(frozen=True, slots=True)
class AgencyReport:
    agencies: tuple[AgencyRow, ...]  # most requests first
    topics: tuple[TopicRow, ...]  # in the centers' order of topics
    totals: Figures


def _figures(r: asyncpg.Record) -> Figures:
    median = r["median_days"]
    return Figures(
        requests=r["requests"], on_time=r["on_time"], late=r["late"], open=r["open"],
        overdue=r["overdue"], reopened=r["reopened"],
        median_days=None if median is None else float(median),
    )  # fmt: skip


class AgencyReportRepository:
    def __init__(self, pool: Pool, *, statement_timeout_ms: int = 8000) -> None:
        self._pool = pool
        self._timeout = str(statement_timeout_ms)

    async def report(
        self,
        *,
        registered_from: datetime,
        registered_before: datetime,
        centers: frozenset[int] | None,
        now: datetime,
        default_tz: str,
    ) -> AgencyReport:
        """The figures of the requests registered in [`registered_from`,
        `registered_before`) of `centers` (None: every center), overdue as of `now`."""
        for name, value in (
            ("registered_from", registered_from), ("registered_before", registered_before),
            ("now", now),
        ):  # fmt: skip
            require_aware(value, name)
        center_list = None if centers is None else sorted(centers)
        try:
            async with (
                connection(self._pool) as conn,
                conn.transaction(isolation="repeatable_read", readonly=True),
            ):
                await conn.execute(SETTINGS_SQL, self._timeout)
                rows = await conn.fetch(
                    REPORT_SQL, registered_from, registered_before, now, default_tz, center_list
                )
                agency_ids = [r["agency_id"] for r in rows if not r["not_agency"]]
                topics = [r["topic"] for r in rows if not r["not_topic"] and r["topic"]]
                agencies = await conn.fetch(AGENCIES_SQL, [a for a in agency_ids if a])
                topic_rows = await conn.fetch(TOPICS_SQL, topics, center_list)
        except asyncpg.QueryCanceledError as exc:
            raise ReportTooSlow(str(exc)) from exc
        return _assemble(rows, agencies, topic_rows)


def _assemble(
    rows: list[asyncpg.Record], agencies: list[asyncpg.Record], topics: list[asyncpg.Record]
) -> AgencyReport:
    agency_names = {a["id"]: (a["name"], a["center_name"]) for a in agencies}
    topic_info: dict[str, tuple[str, int]] = {t["code"]: (t["name"], t["position"]) for t in topics}
    by_agency: list[AgencyRow] = []
    by_topic: list[TopicRow] = []
    totals = Figures()
    for r in rows:
        figures = _figures(r)
        if r["not_agency"] and r["not_topic"]:
            totals = figures
        elif not r["not_agency"]:
            name, center = agency_names.get(r["agency_id"], (None, None))
            by_agency.append(AgencyRow(r["agency_id"], name, center, figures))
        else:
            info = topic_info.get(r["topic"]) if r["topic"] else None
            by_topic.append(TopicRow(r["topic"], info[0] if info else None, figures))

    def agency_key(row: AgencyRow) -> tuple[Any, ...]:
        return (row.agency_id is None, -row.figures.requests, row.name or "", row.agency_id or 0)

    def topic_key(row: TopicRow) -> tuple[Any, ...]:
        position = topic_info[row.topic][1] if row.topic in topic_info else 10**6
        return (row.topic is None, position, row.topic or "")

    return AgencyReport(
        agencies=tuple(sorted(by_agency, key=agency_key)),
        topics=tuple(sorted(by_topic, key=topic_key)),
        totals=totals,
    )
