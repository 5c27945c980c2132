"""W1: the national search API at 1,000,000 calls against a bare aiohttp+asyncpg app.

`python -m benchmarks.w1 [--calls 1000000] [--requests 300] [--concurrency 8]`
makes a fresh migrated database, inserts the calls (and a request for every third call)
with generate_series in one statement each, then times three queries through our
`GET /api/v1/calls` (session, role check, validation, JSON) and through a bare app that
runs the same SQL (`samad_ivr.storage.search.build_query`).  Both apps and the load run
in this process, one after the other; the figure is the ratio, as PERFORMANCE.md asks.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import statistics
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import asyncpg
from aiohttp import web

from benchmarks.db import fresh_database
from samad_ivr.settings import Settings
from samad_ivr.storage.accounts import AccountRepository, NewUser, Role
from samad_ivr.storage.db import create_pool
from samad_ivr.storage.search import CallSearch, build_query
from samad_ivr.web.app import WebDeps, create_app
from samad_ivr.web.auth_views import hash_password
from samad_ivr.web.config import WEB_SETTINGS, WebSettings
from samad_ivr.web.national_routes import national_feature
from samad_ivr.web.openapi import setup_openapi
from samad_ivr.web.security import setup_security

CENTERS = 31
PASSWORD = "w1 benchmark password"

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


async def generate(url: str, calls: int) -> float:
    started = time.monotonic()
    conn = await asyncpg.connect(url)
    try:
        for n in range(CENTERS):
            await conn.execute(
                "INSERT INTO centers (code, name, queue_name) VALUES ($1, $2, $3) "
                "ON CONFLICT DO NOTHING", f"p{n}", f"استان {n}", f"q{n}",
            )  # fmt: skip
        await conn.execute(GENERATE_CALLS, calls, CENTERS, datetime.now(UTC))
        await conn.execute(GENERATE_REQUESTS)
        await conn.execute("ANALYZE calls; ANALYZE requests")
    finally:
        await conn.close()
    return time.monotonic() - started


def scenarios(center_id: int, tz_day: datetime) -> dict[str, tuple[dict[str, str], CallSearch]]:
    start, end = tz_day, tz_day + timedelta(days=1)
    return {
        "list": ({}, CallSearch(None)),
        "search_center_day": (
            {"center_id": str(center_id), "from": "__FROM__", "to": "__FROM__"},
            CallSearch(None, started_from=start, started_before=end, center_id=center_id),
        ),
        "search_caller": ({"caller": "09120001234"}, CallSearch(None, caller_e164="+989120001234")),
    }


async def timed(session: aiohttp.ClientSession, url: str, params: dict[str, str],
                n: int, concurrency: int) -> dict[str, float]:  # fmt: skip
    latencies: list[float] = []
    sem = asyncio.Semaphore(concurrency)

    async def one() -> None:
        async with sem:
            t = time.perf_counter()
            async with session.get(url, params=params) as r:
                await r.read()
                assert r.status == 200, r.status
            latencies.append((time.perf_counter() - t) * 1000)

    wall = time.perf_counter()
    await asyncio.gather(*(one() for _ in range(n)))
    wall = time.perf_counter() - wall
    latencies.sort()
    return {"p50_ms": round(statistics.median(latencies), 2),
            "p95_ms": round(latencies[int(len(latencies) * 0.95) - 1], 2),
            "rps": round(n / wall, 1)}  # fmt: skip


async def start(app: web.Application) -> tuple[web.AppRunner, str]:
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    return runner, f"http://127.0.0.1:{runner.addresses[0][1]}"


def bare_app(pool: Any, searches: dict[str, CallSearch]) -> web.Application:
    async def handler(request: web.Request) -> web.Response:
        sql, args = build_query(searches[request.match_info["name"]], topic_column=False)
        async with pool.acquire() as conn:
            rows = await conn.fetch(sql, *args)
        calls = [{k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in dict(r).items()}
                 for r in rows[:50]]  # fmt: skip
        return web.json_response({"calls": calls})

    app = web.Application()
    app.router.add_get("/bare/{name}", handler)
    return app


async def run(calls: int, requests: int, concurrency: int) -> dict[str, Any]:
    async with fresh_database() as url:
        gen_s = await generate(url, calls)
        pool = await create_pool(url, min_size=4, max_size=10)
        try:
            center_id = await pool.fetchval("SELECT min(id) FROM centers WHERE code = 'p1'")
            newest = await pool.fetchval("SELECT max(started_at) FROM calls")
            from zoneinfo import ZoneInfo

            from samad_ivr.admin.jalali import iso_jalali

            tz = ZoneInfo("Asia/Tehran")
            day = (newest - timedelta(days=3)).astimezone(tz).date()
            day_start = datetime.combine(day, datetime.min.time(), tzinfo=tz)
            cases = scenarios(center_id, day_start)
            settings = Settings.from_env({"SAMAD_DATABASE_URL": url})
            await AccountRepository(pool).create_user(
                NewUser("w1-bench", "", Role.NATIONAL_LISTENER), await hash_password(PASSWORD)
            )

            def configure(app: web.Application) -> None:
                app[WEB_SETTINGS] = WebSettings.from_env({"SAMAD_WEB_SECRET": "w" * 40})

            ours = create_app(
                WebDeps(settings, pool),
                [configure, setup_security, setup_openapi, national_feature()],
            )
            bare = bare_app(pool, {k: v[1] for k, v in cases.items()})
            runners = [await start(ours), await start(bare)]
            results: dict[str, Any] = {"calls": calls, "generate_s": round(gen_s, 1)}
            try:
                async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as s:
                    base = runners[0][1]
                    page = await (await s.get(base + "/login")).text()
                    token = re.search(r'name="_csrf" value="([0-9a-f]{64})"', page)
                    assert token
                    await s.post(base + "/login", data={"username": "w1-bench",
                                 "password": PASSWORD, "_csrf": token[1], "next": "/"})  # fmt: skip
                    for name, (params, _search) in cases.items():
                        q = {
                            k: (iso_jalali(day) if v == "__FROM__" else v)
                            for k, v in params.items()
                        }
                        await timed(s, base + "/api/v1/calls", q, 20, concurrency)  # warm-up
                        await timed(s, runners[1][1] + f"/bare/{name}", {}, 20, concurrency)
                        o = await timed(s, base + "/api/v1/calls", q, requests, concurrency)
                        b = await timed(
                            s, runners[1][1] + f"/bare/{name}", {}, requests, concurrency
                        )
                        results[name] = {"ours": o, "bare": b,
                                         "ratio_rps": round(o["rps"] / b["rps"], 2)}  # fmt: skip
            finally:
                for runner, _ in runners:
                    await runner.cleanup()
        finally:
            await pool.close()
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args(argv)
    results = asyncio.run(run(args.calls, args.requests, args.concurrency))
    print(json.dumps(results, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
