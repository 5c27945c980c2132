"""W2: the national search over five years of the whole country (10,000,000 calls).

`python -m benchmarks --only W2` (or standalone: `python -m benchmarks.w2 [--calls N]
[--quick]`).  The data (`benchmarks.w2_data`) is generated once into a template database
kept on the dev cluster under a hash of the migrations and the recipe (several minutes
for ten million calls, with progress lines); every run measures a fresh copy.  Searches
(`benchmarks.w2_apps.load_cases`): the newest calls, one province over a month and over a
year, a tracking code, a frequent caller, a status nationwide and a province's open
requests, each first page and, where people page on, a page deep into the results, through
`GET /api/v1/calls` with a logged-in national listener; the HTML page `/national/calls`
for the month of one province.  Baseline: the same SQL through a bare aiohttp + asyncpg
app, in the same run.
"""

from __future__ import annotations

import asyncio
import logging
import shutil
import time
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from benchmarks import w2_apps, w2_data
from benchmarks.db import Template, cached_database
from benchmarks.w2_http import Load, Target, measure, session_for, standalone
from samad_ivr.storage.accounts import NewUser, Role
from samad_ivr.storage.db import create_pool

log = logging.getLogger(__name__)

FULL_CALLS = 10_000_000
QUICK_CALLS = 3_000
API_PATH = "/api/v1/calls"
PAGE_PATH = "/national/calls"
PAGE_CASES = ("province_month", "province_month_deep")
SIZE_SQL = """
SELECT pg_database_size(current_database()) AS database,
       (SELECT count(*) FROM calls) AS calls, (SELECT count(*) FROM requests) AS requests,
       (SELECT count(*) FROM recordings) AS recordings
"""


def _targets(cases: dict[str, Any]) -> list[Target]:
    targets = []
    for name, case in cases.items():
        query = f"?{urlencode(case.params)}" if case.params else ""
        targets.append(Target(name, f"{API_PATH}{query}", name))
        if name in PAGE_CASES:
            targets.append(Target(f"{name}_html", f"{PAGE_PATH}{query}", name))
    return targets


def template(quick: bool, calls: int | None = None) -> Template:
    """W2's data set (`benchmarks.prepare` builds it ahead, beside the others)."""
    calls = calls or (QUICK_CALLS if quick else FULL_CALLS)

    async def build(url: str) -> dict[str, float]:
        started = time.monotonic()
        built = await w2_data.generate(url, calls, datetime.now(UTC))
        return {**built, "generate_s": round(time.monotonic() - started, 1)}

    return Template(f"w2_{calls}", w2_data.RECIPE, build)


async def w2_national_search(quick: bool, calls: int | None = None) -> dict[str, Any]:
    calls = calls or (QUICK_CALLS if quick else FULL_CALLS)
    free_gb = shutil.disk_usage("/work").free / 2**30
    log.info("W2: %d calls; %.0f GB free on /work", calls, free_gb)
    data = template(quick, calls)
    built: dict[str, float] = {}

    async def build(url: str) -> None:
        built.update(await data.build(url))

    started = time.monotonic()
    async with cached_database(data.label, data.key, build) as url:
        setup_s = round(time.monotonic() - started, 1)
        pool = await create_pool(url, min_size=1, max_size=2, command_timeout=600)
        try:
            token = await session_for(pool, NewUser("w2-bench", "", Role.NATIONAL_LISTENER))
            cases = await w2_apps.load_cases(pool)
            sizes = dict((await pool.fetchrow(SIZE_SQL)) or {})
        finally:
            await pool.close()
        load = Load.for_mode(quick)
        result = await asyncio.to_thread(
            measure, ("w2-ours", "w2-bare"), url, token, _targets(cases), load
        )
    return {
        "calls": sizes["calls"],
        "requests": sizes["requests"],
        "recordings": sizes["recordings"],
        "database_mb": round(sizes["database"] / 2**20),
        "database_setup_s": setup_s,
        "template_built": bool(built),
        "build": built,
        **result,
    }


def main(argv: list[str] | None = None) -> int:
    return standalone(__doc__, "--calls", w2_national_search, argv)


if __name__ == "__main__":
    raise SystemExit(main())
