"""L1's deadline job: one round over the waiting requests, timed, then the same round again.

The data is built as if the job last ran three days ago (`benchmarks.l1_data`), so the
first round is a catch-up: escalations of every request past its deadline, long stops,
and every reminder due since (a portal notice, an SMS to the agency's contact mobile and
a history row each).  The second round must find nothing left, which is what makes the
job safe to run twice; its time is what every later run of the day costs.  The
reminders go out only in daytime at the center; the round is given the whole day as
daytime, so the benchmark measures the same work at any hour.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from datetime import time as clock
from typing import Any, Protocol

from samad_ivr.storage.db import create_pool

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


async def deadline_job(url: str, run_deadline_jobs: Job) -> dict[str, Any]:
    """Two rounds of the deadline jobs on the fresh copy at `url`."""
    pool = await create_pool(url, min_size=1, max_size=4, command_timeout=600)
    try:
        before = dict((await pool.fetchrow(WORK_SQL)) or {})
        rounds: list[dict[str, Any]] = []
        for _ in range(2):
            now = datetime.now(UTC)
            started = time.perf_counter()
            done = await run_deadline_jobs(pool, now, daytime=WHOLE_DAY)
            rounds.append({
                "seconds": round(time.perf_counter() - started, 3),
                "escalated": done.escalated, "long_stops": done.long_stops,
                "reminded": done.reminded,
            })  # fmt: skip
        after = dict((await pool.fetchrow(WORK_SQL)) or {})
    finally:
        await pool.close()
    return {
        "waiting": before["waiting"],
        "first": rounds[0],
        "second": rounds[1],
        "written": {key: after[key] - before[key] for key in ("notices", "sms", "history")},
    }
