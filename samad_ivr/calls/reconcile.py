"""Reconciliation after a crash: calls Asterisk recorded that the service never stored.

The hangup handler emits a CEL user event SAMAD_REPORT carrying the very channel fields
post_call reads (calls.report.CHANNEL_FIELDS), before it asks the service; cel_pgsql
writes it into our database (`cel`, 0024).  A service killed with SIGKILL loses the
calls whose post_call it was handling, or that ended while no instance answered and the
fallback spool could not take them.  This job finds every SAMAD_REPORT of the last
`lookback` hours, older than `grace` (the live path and the spool replay go first), whose
call has no end in `calls`, and feeds it through the same intake as a live call; its
recording is handed to the finaliser (the sweep finishes it if this try is cut short).
Intake is idempotent, so a call stored meanwhile by another path changes nothing.
Provinces sharing one database each take their own center's events (and those of calls
that never reached routing, which carry no center).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import UTC, datetime

import asyncpg

from samad_ivr.calls.finaliser import RecordingFinaliser
from samad_ivr.calls.intake import CallIntake
from samad_ivr.calls.report import CallReport, build_report, split_channel_values
from samad_ivr.storage.db import Pool, connection

log = logging.getLogger(__name__)

EVENT = "SAMAD_REPORT"

# eventtime is UTC without a zone (cel_pgsql.conf: usegmtime = yes).
UNSEEN_SQL = """
SELECT e.id, e.eventtime, e.uniqueid, e.cid_num, e.cid_name, e.extra
FROM cel e
WHERE e.userdeftype = $1
  AND e.eventtime > (now() AT TIME ZONE 'UTC') - make_interval(hours => $2)
  AND e.eventtime < (now() AT TIME ZONE 'UTC') - make_interval(secs => $3)
  AND NOT EXISTS (SELECT 1 FROM calls c
                   WHERE c.uniqueid = e.uniqueid AND c.ended_at IS NOT NULL)
ORDER BY e.id
LIMIT $4
"""


@dataclass(frozen=True, slots=True)
class Reconciled:
    stored: int
    unreadable: int


def report_from_event(row: asyncpg.Record) -> CallReport:
    """The call report an event carries (ValueError if it names no valid call)."""
    extra = row["extra"] or ""
    try:
        decoded = json.loads(extra)
    except ValueError:
        decoded = extra
    if isinstance(decoded, dict):  # Asterisk wraps the user event's text: {"extra": ...}
        decoded = decoded.get("extra", "")
    values: dict[str, object] = dict(split_channel_values(str(decoded)))
    ended: datetime = row["eventtime"].replace(tzinfo=UTC)
    if not values.get("ended_epoch"):
        values["ended_epoch"] = ended.timestamp()
    return build_report(
        uniqueid=row["uniqueid"] or "",
        caller_raw=row["cid_num"] or "",
        caller_name_raw=row["cid_name"] or "",
        values=values,
        source="fallback",
    )


class CallReconciler:
    def __init__(
        self,
        pool: Pool,
        intake: CallIntake,
        finaliser: RecordingFinaliser,
        *,
        center_code: str,
        lookback_hours: int = 48,
        grace_seconds: float = 30.0,
    ) -> None:
        self._pool = pool
        self._center = center_code
        self._intake = intake
        self._finaliser = finaliser
        self._lookback = lookback_hours
        self._grace = grace_seconds

    async def run(self, limit: int = 200) -> Reconciled:
        async with connection(self._pool) as conn:
            rows = await conn.fetch(UNSEEN_SQL, EVENT, self._lookback, self._grace, limit)
        stored = unreadable = 0
        for row in rows:
            try:
                report = report_from_event(row)
            except ValueError as exc:
                log.error("CEL event %s names no call: %s", row["id"], exc)
                unreadable += 1
                continue
            if report.center not in ("", self._center):
                continue  # another province's node writing into a shared database
            result = await self._intake.take(report, final=True)
            if report.recording is not None:
                await self._finaliser.submit(result.call_id, report.recording)
            log.warning(
                "call %s was not stored by the service: reconciled from Asterisk's CEL (%s)",
                report.uniqueid, result.outcome.disposition.value,
            )  # fmt: skip
            stored += 1
        return Reconciled(stored, unreadable)
