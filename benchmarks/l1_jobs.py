"""L1's deadline job (`run_deadline_jobs`: escalation, long stop, reminders), timed.

The data is built as if the job last ran three days ago (`benchmarks.l1_data`).  Two
measurements, each on its own fresh copy:
- a day's work: the job's clock set two days back for an untimed round (the backlog up
  to then), then one day back and then now, each round timed: the escalations at the end
  of a deadline day, the day's long stops and the day's reminders (a portal notice, an
  SMS to the agency's contact mobile and a history row each) together.  The figure is
  the median of those two rounds.  (The job runs every five minutes; its real bursts are
  the escalations just after local midnight and the reminders at the start of daytime,
  each half of this.)
- the catch-up after three days down: one round at now, then the same round again, which
  must find nothing left (what makes the job safe to run twice).
Reminders go out only in daytime at the center; the rounds are given the whole day as
daytime, so the benchmark measures the same work at any hour.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from datetime import time as clock
from typing import Any, Protocol

from benchmarks.harness import median
from samad_ivr.storage.db import Pool, create_pool

WHOLE_DAY = (clock(0, 0), clock(23, 59, 59))
WORK_SQL = """
SELECT (SELECT count(*) FROM requests WHERE status IN ('assigned', 'escalated')
                                          AND due_on IS NOT NULL) AS waiting,
       (SELECT count(*) FROM agency_notifications) AS notices,
       (SELECT count(*) FROM sms_outbox) AS sms,
       (SELECT count(*) FROM request_history) AS history
"""


class DeadlineRound(Protocol):
    @property
    def escalated(self) -> int: ...
    @property
    def long_stops(self) -> int: ...
    @property
    def reminded(self) -> int: ...


Job = Callable[..., Awaitable[DeadlineRound]]


def load_job() -> Job:
    """`run_deadline_jobs`, imported on demand (ImportError if it is not there)."""
    from samad_ivr.jobs.deadlines import run_deadline_jobs

    return run_deadline_jobs


async def _round(pool: Pool, job: Job, now: datetime) -> dict[str, Any]:
    started = time.perf_counter()
    done = await job(pool, now, daytime=WHOLE_DAY)
    return {
        "seconds": round(time.perf_counter() - started, 3), "escalated": done.escalated,
        "long_stops": done.long_stops, "reminded": done.reminded,
    }  # fmt: skip


async def _counts(pool: Pool) -> dict[str, int]:
    return dict((await pool.fetchrow(WORK_SQL)) or {})


async def daily_rounds(url: str, job: Job) -> dict[str, Any]:
    """A day's work, twice: the rounds one day back and now (after the backlog)."""
    pool = await create_pool(url, min_size=1, max_size=4, command_timeout=600)
    try:
        now = datetime.now(UTC)
        backlog = await _round(pool, job, now - timedelta(days=2))
        before = await _counts(pool)
        rounds = [await _round(pool, job, now - timedelta(days=1)), await _round(pool, job, now)]
        after = await _counts(pool)
    finally:
        await pool.close()
    return {
        "waiting": before["waiting"], "backlog_round": backlog, "rounds": rounds,
        "seconds": round(median([r["seconds"] for r in rounds]), 3),
        "written": {key: after[key] - before[key] for key in ("notices", "sms", "history")},
    }  # fmt: skip


async def catch_up(url: str, job: Job) -> dict[str, Any]:
    """Three days' work in one round, then the same round again."""
    pool = await create_pool(url, min_size=1, max_size=4, command_timeout=600)
    try:
        before = await _counts(pool)
        now = datetime.now(UTC)
        first, second = await _round(pool, job, now), await _round(pool, job, now)
        after = await _counts(pool)
    finally:
        await pool.close()
    return {
        "waiting": before["waiting"], "first": first, "second": second,
        "written": {key: after[key] - before[key] for key in ("notices", "sms", "history")},
    }  # fmt: skip
