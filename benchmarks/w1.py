"""W1: the national search API at 1,000,000 calls against a bare aiohttp+asyncpg app.

`python -m benchmarks --only W1` (or standalone: `python -m benchmarks.w1 [--calls N]
[--quick]`).  The calls (a request for every third, recordings for most) are generated
in SQL with generate_series into a template database that is kept on the dev cluster
under a hash of the migrations and this recipe, so only the first run pays the minute
it takes; every run works on a fresh copy.  Both apps (`benchmarks.w1_apps`) run in
their own processes pinned to the server core, the load generator
(`benchmarks.w1_load`) on the other, and the runs alternate between the apps; the
figure is the ratio, as PERFORMANCE.md asks.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

import asyncpg

from benchmarks import w1_apps
from benchmarks.db import Template, cached_database
from benchmarks.w2_http import Load, Target, measure, session_for, standalone
from samad_ivr.storage.accounts import NewUser, Role
from samad_ivr.storage.db import create_pool

log = logging.getLogger(__name__)

CENTERS = 31
API_PATH = "/api/v1/calls"

GENERATE_CALLS = """
INSERT INTO calls (uniqueid, center_id, caller_raw, caller_e164, started_at, answered_at,
                   ended_at, disposition, route)
SELECT 'bench.' || i, (SELECT min(id) FROM centers) + (i % $2),
       '0912' || lpad((i % 500000)::text, 7, '0'), '+98912' || lpad((i % 500000)::text, 7, '0'),
       $3::timestamptz - i * interval '30 seconds', $3::timestamptz - i * interval '30 seconds',
       $3::timestamptz - i * interval '30 seconds' + interval '2 minutes', 'answered', 'desk'
FROM generate_series(1, $1) AS i
"""
GENERATE_REQUESTS = """
INSERT INTO requests (tracking_code, call_id, caller_e164, status, created_at)
SELECT lpad(id::text, 10, '0'), id, caller_e164,
       (ARRAY['registered','assigned','answered','closed','escalated'])[1 + id % 5], started_at
FROM calls WHERE id % 3 = 0
"""
# Most answered calls are recorded; every tenth also left a message.
GENERATE_RECORDINGS = """
INSERT INTO recordings (call_id, kind, path, finished_at)
SELECT id, k.kind, 'bench/' || id || '-' || k.kind || '.wav', started_at
FROM calls JOIN (VALUES ('call', 1), ('message', 10)) AS k (kind, every) ON id % k.every = 0
WHERE id % 4 <> 1
"""
RECIPE = f"v1 {CENTERS} {GENERATE_CALLS} {GENERATE_REQUESTS} {GENERATE_RECORDINGS}"


@dataclass(frozen=True, slots=True)
class Sizes:
    calls: int
    runs: int
    requests: int
    concurrency: int
    warmup: int

    @classmethod
    def for_mode(cls, quick: bool, calls: int | None = None) -> Sizes:
        sizes = cls(2_000, 1, 20, 4, 5) if quick else cls(1_000_000, 3, 400, 8, 60)
        return sizes if calls is None else replace(sizes, calls=calls)


async def generate(url: str, calls: int) -> None:
    conn = await asyncpg.connect(url)
    try:
        for n in range(CENTERS):
            await conn.execute(
                "INSERT INTO centers (code, name, queue_name) VALUES ($1, $2, $3)",
                f"p{n}", f"استان {n}", f"q{n}",
            )  # fmt: skip
        await conn.execute(GENERATE_CALLS, calls, CENTERS, datetime.now(UTC))
        await conn.execute(GENERATE_REQUESTS)
        await conn.execute(GENERATE_RECORDINGS)
        await conn.execute("VACUUM ANALYZE")
    finally:
        await conn.close()


async def _prepare(url: str) -> tuple[str, dict[str, w1_apps.Case]]:
    """A national listener with a live session (the cookie token), and the queries."""
    pool = await create_pool(url, min_size=1, max_size=2)
    try:
        token = await session_for(pool, NewUser("w1-bench", "", Role.NATIONAL_LISTENER))
        return token, await w1_apps.load_cases(pool)
    finally:
        await pool.close()


def _measure(url: str, token: str, cases: dict[str, w1_apps.Case], sizes: Sizes) -> dict[str, Any]:
    targets = [
        Target(name, API_PATH + (f"?{urlencode(case.params)}" if case.params else ""), name)
        for name, case in cases.items()
    ]
    load = Load(sizes.runs, sizes.requests, sizes.concurrency, sizes.warmup)
    return measure(("w1-ours", "w1-bare"), url, token, targets, load)


def template(quick: bool, calls: int | None = None) -> Template:
    """W1's data set (`benchmarks.prepare` builds it ahead, beside the others)."""
    sizes = Sizes.for_mode(quick, calls)

    async def build(url: str) -> dict[str, float]:
        started = time.monotonic()
        await generate(url, sizes.calls)
        return {"generate_s": round(time.monotonic() - started, 1)}

    return Template(f"w1_{sizes.calls}", RECIPE, build)


async def w1_web_api(quick: bool, calls: int | None = None) -> dict[str, Any]:
    sizes = Sizes.for_mode(quick, calls)
    data = template(quick, calls)
    built: dict[str, float] = {}

    async def build(url: str) -> None:
        built.update(await data.build(url))

    started = time.monotonic()
    async with cached_database(data.label, data.key, build) as url:
        setup_s = round(time.monotonic() - started, 1)
        token, cases = await _prepare(url)
        result = await asyncio.to_thread(_measure, url, token, cases, sizes)
    return {
        "calls": sizes.calls,
        "concurrency": sizes.concurrency,
        "requests_per_run": sizes.requests,
        "database_setup_s": setup_s,
        "template_built": bool(built),
        **built,
        **result,
    }


def main(argv: list[str] | None = None) -> int:
    return standalone(__doc__, "--calls", w1_web_api, argv)


if __name__ == "__main__":
    raise SystemExit(main())
