"""L1: the request lifecycle at 1,000,000 requests with their history.

`python -m benchmarks --only L1` (or standalone: `python -m benchmarks.l1 [--requests N]
[--quick]`).  The data (`benchmarks.l1_data`) is generated once a day (its dates are
relative to the build day, so the key holds the day) into a template database kept on
the dev cluster; every part below works on a fresh copy.
- Lists, over HTTP with a logged-in inspector and agency staff member
  (`benchmarks.l1_apps`): the inspectors' queues of the busiest agency's province
  (overdue, reopened, all open; first page and 1,000 rows in) and that agency's own list
  (by deadline, first page and 1,000 rows in; overdue only), the JSON API and the
  console pages, against a bare aiohttp + asyncpg app running the same list SQL.
- The deadline job over the 260,000 waiting requests (`benchmarks.l1_jobs`): a day's
  work, and the catch-up after three days down followed by a round with nothing to do.
- Deadlines recomputed after a holiday change: a national holiday five days ahead added
  in every province through the admin's path (`HolidayRepository.add`: the closed day
  and the set-based recomputation in one transaction per province), then removed; and
  the nightly reconcile of every province's deadlines.
"""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from benchmarks import l1_apps, l1_data, l1_jobs
from benchmarks.db import Template, cached_database
from benchmarks.harness import median
from benchmarks.l1_bulk import TEHRAN
from benchmarks.w2_http import Load, Target, measure, session_for, standalone
from samad_ivr.domain.deadlines import DeadlinePolicy
from samad_ivr.storage.accounts import NewUser, Role
from samad_ivr.storage.db import Pool, create_pool
from samad_ivr.storage.deadlines import DeadlineRecomputer
from samad_ivr.storage.holidays import HolidayRepository

log = logging.getLogger(__name__)

FULL_REQUESTS = 1_000_000
QUICK_REQUESTS = 3_000
HOLIDAY_AHEAD_DAYS = 5
HOLIDAY_NAME = "تعطیلی سراسری (سنجش)"
COUNT_SQL = """
SELECT (SELECT count(*) FROM requests) AS requests,
       (SELECT count(*) FROM request_history) AS history,
       (SELECT count(*) FROM requests WHERE status IN ('assigned', 'escalated')
                                         AND due_on IS NOT NULL) AS waiting,
       pg_database_size(current_database()) AS database
"""
MOVED_SQL = """
SELECT count(*) FROM request_history WHERE event = 'deadline_changed' AND at >= $1
"""


async def _sessions(pool: Pool, center_id: int, agency_id: int) -> dict[str, str]:
    inspector = NewUser("l1-bench-inspector", "", Role.INSPECTOR, center_id=center_id)
    staff = NewUser("l1-bench-agency", "", Role.AGENCY_STAFF, center_id, agency_id=agency_id)
    return {"inspector": await session_for(pool, inspector),
            "agency": await session_for(pool, staff)}  # fmt: skip


def _lists(url: str, cookies: dict[str, str], cases: dict[str, Any], quick: bool) -> dict[str, Any]:
    """Every list case, API and page, per role (one cookie per load generator)."""
    result: dict[str, Any] = {}
    for role in ("inspector", "agency"):
        targets: list[Target] = []
        for case in cases.values():
            if case.role == role:
                targets.append(Target(case.name, case.path, case.name))
                page = l1_apps.html_path(case)
                if page is not None and not case.name.endswith("_deep"):
                    targets.append(Target(f"{case.name}_html", page, case.name))
        measured = measure(
            ("l1-ours", "l1-bare"), url, cookies[role], targets, Load.for_mode(quick)
        )
        result[f"server_cpu_us_per_request_{role}"] = measured.pop("server_cpu_us_per_request")
        result.update(measured)
    return result


async def _recompute(pool: Pool, repeats: int) -> dict[str, Any]:
    """A national holiday added then removed `repeats` times, then one reconcile."""
    holidays = HolidayRepository(pool, DeadlineRecomputer(pool, DeadlinePolicy()))
    centers = [int(r["id"]) for r in await pool.fetch("SELECT id FROM centers ORDER BY id")]
    day = datetime.now(TEHRAN).date() + timedelta(days=HOLIDAY_AHEAD_DAYS)
    added: list[float] = []
    removed: list[float] = []
    moved: list[int] = []
    for _ in range(repeats):
        since = datetime.now(UTC)
        started = time.perf_counter()
        for center in centers:
            await holidays.add(center, day, HOLIDAY_NAME)
        added.append(time.perf_counter() - started)
        moved.append(int(await pool.fetchval(MOVED_SQL, since)))
        started = time.perf_counter()
        for center in centers:
            await holidays.remove(center, day)
        removed.append(time.perf_counter() - started)
    started = time.perf_counter()
    reconciled = await DeadlineRecomputer(pool, DeadlinePolicy()).reconcile(datetime.now(UTC))
    reconcile_s = time.perf_counter() - started
    return {
        "holiday": day.isoformat(), "centers": len(centers),
        "add_s": round(median(added), 3), "remove_s": round(median(removed), 3),
        "add_runs_s": [round(s, 3) for s in added], "remove_runs_s": [round(s, 3) for s in removed],
        "deadlines_moved_per_add": moved, "reconcile_s": round(reconcile_s, 3),
        "reconcile_moved": reconciled,
    }  # fmt: skip


def template(quick: bool, requests: int | None = None) -> Template:
    """L1's data set (`benchmarks.prepare` builds it ahead, beside the others)."""
    requests = requests or (QUICK_REQUESTS if quick else FULL_REQUESTS)

    async def build(url: str) -> dict[str, float]:
        started = time.monotonic()
        built = await l1_data.generate(url, requests, datetime.now(UTC))
        return {**built, "generate_s": round(time.monotonic() - started, 1)}

    # The data's dates are relative to the day it was built for: one template a day.
    key = f"{l1_data.RECIPE} {datetime.now(TEHRAN).date().isoformat()}"
    return Template(f"l1_{requests}", key, build)


async def l1_lifecycle(quick: bool, requests: int | None = None) -> dict[str, Any]:
    data = template(quick, requests)
    label, key = data.label, data.key
    built: dict[str, float] = {}

    async def build(url: str) -> None:
        built.update(await data.build(url))

    result: dict[str, Any] = {}
    started = time.monotonic()
    async with cached_database(label, key, build) as url:
        result["database_setup_s"] = round(time.monotonic() - started, 1)
        pool = await create_pool(url, min_size=1, max_size=4, command_timeout=600)
        try:
            result["sizes"] = dict((await pool.fetchrow(COUNT_SQL)) or {})
            cases = await l1_apps.load_cases(pool, datetime.now(UTC))
            agency_id, center_id = await l1_apps.busiest(pool)
            cookies = await _sessions(pool, center_id, agency_id)
            result["lists"] = await asyncio.to_thread(_lists, url, cookies, cases, quick)
            result["recompute"] = await _recompute(pool, 1 if quick else 3)
        finally:
            await pool.close()
    try:
        job = l1_jobs.load_job()
    except ImportError as exc:  # the jobs are another change; the lists stand without them
        result["jobs"] = {"not_measured": f"samad_ivr.jobs.deadlines is missing ({exc})"}
    else:
        async with cached_database(label, key, build) as url:
            daily = await l1_jobs.daily_rounds(url, job)
        async with cached_database(label, key, build) as url:
            result["jobs"] = {"daily": daily, **await l1_jobs.catch_up(url, job)}
    result.update(template_built=bool(built), build=built)
    return result


def main(argv: list[str] | None = None) -> int:
    return standalone(__doc__, "--requests", l1_lifecycle, argv)


if __name__ == "__main__":
    raise SystemExit(main())
