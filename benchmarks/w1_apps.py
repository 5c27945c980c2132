"""W1's two web apps and the three queries they answer (run by `benchmarks.servers`).

"ours" is the real national search API (`GET /api/v1/calls`: session, role check, query
validation, `parse_search`, `CallSearchRepository`, JSON).  "bare" is an aiohttp app
with a default asyncpg pool that runs the same SQL (`build_query`) for a prebuilt search and
returns the rows as JSON: what a hand-written endpoint without any of that would cost.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
from aiohttp import web

from samad_ivr.admin.jalali import iso_jalali
from samad_ivr.storage.db import Pool, create_pool
from samad_ivr.storage.search import CallSearch, build_query

TZ = ZoneInfo("Asia/Tehran")
CALLER_LOCAL = "09120001234"
CALLER_E164 = "+989120001234"
SCENARIOS = ("list", "search_center_day", "search_caller")


@dataclass(frozen=True, slots=True)
class Case:
    """One query: its API query string and the same search for the bare app."""

    name: str
    params: dict[str, str]
    search: CallSearch


async def load_cases(pool: Pool) -> dict[str, Case]:
    """The queries, from the seeded data: the newest page, one province on a day three
    days back (a day of the 31 provinces' calls), and one caller's calls."""
    center_id = await pool.fetchval("SELECT min(id) FROM centers WHERE code = 'p1'")
    newest = await pool.fetchval("SELECT max(started_at) FROM calls")
    day = (newest - timedelta(days=3)).astimezone(TZ).date()
    start = datetime.combine(day, datetime.min.time(), tzinfo=TZ)
    end = datetime.combine(day + timedelta(days=1), datetime.min.time(), tzinfo=TZ)
    jalali_day = iso_jalali(day)
    cases = [
        Case("list", {}, CallSearch(None)),
        Case(
            "search_center_day",
            {"center_id": str(center_id), "from": jalali_day, "to": jalali_day},
            CallSearch(None, started_from=start, started_before=end, center_id=center_id),
        ),
        Case("search_caller", {"caller": CALLER_LOCAL}, CallSearch(None, caller_e164=CALLER_E164)),
    ]
    return {case.name: case for case in cases}


def bare_app(pool: Pool, cases: dict[str, Case]) -> web.Application:
    async def handler(request: web.Request) -> web.Response:
        case = cases[request.match_info["name"]]
        sql, args = build_query(case.search, topic_column=True)
        async with pool.acquire() as conn:
            rows = await conn.fetch(sql, *args)
        calls = [
            {k: (v.isoformat() if isinstance(v, date) else v) for k, v in r.items()}
            for r in rows[: case.search.limit]
        ]
        return web.json_response({"calls": calls})

    app = web.Application()
    app.router.add_get("/bare/{name}", handler)
    return app


def ours_app(pool: Pool, url: str) -> web.Application:
    from samad_ivr.settings import Settings
    from samad_ivr.web.app import WebDeps, create_app
    from samad_ivr.web.config import WEB_SETTINGS, WebSettings
    from samad_ivr.web.national.routes import national_feature
    from samad_ivr.web.openapi import setup_openapi
    from samad_ivr.web.security import setup_security

    def configure(app: web.Application) -> None:
        app[WEB_SETTINGS] = WebSettings.from_env({"SAMAD_WEB_SECRET": "w" * 40})

    settings = Settings.from_env({"SAMAD_DATABASE_URL": url})
    features = [configure, setup_security, setup_openapi, national_feature()]
    return create_app(WebDeps(settings, pool), features)


async def start(kind: str, url: str, host: str) -> tuple[int, Callable[[], Awaitable[None]]]:
    """Serve `kind` ("w1-ours" or "w1-bare") on an ephemeral port; (port, closer)."""
    if kind == "w1-ours":
        pool = await create_pool(url, min_size=4, max_size=10)
        app = ours_app(pool, url)
    else:  # asyncpg's own defaults, as a hand-written app would have them
        pool = await asyncpg.create_pool(url, min_size=4, max_size=10)
        app = bare_app(pool, await load_cases(pool))
    return await serve(app, pool, host)


async def serve(
    app: web.Application, pool: Pool, host: str
) -> tuple[int, Callable[[], Awaitable[None]]]:
    """Serve `app` on an ephemeral port of `host`; (port, closer that also closes `pool`)."""
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, 0)
    await site.start()
    port: Any = runner.addresses[0][1]

    async def close() -> None:
        await runner.cleanup()
        await pool.close()

    return int(port), close
