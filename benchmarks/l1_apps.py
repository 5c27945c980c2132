"""L1's web apps and the lists they serve (run by `benchmarks.servers`).

"l1-ours" is the real console app with the inspector console and the agency portal
(session, role and scope checks, validation, the repositories, JSON or the Jinja page);
"l1-bare" is aiohttp + a default asyncpg pool running the same list SQL
(`inspection.build_page_query`, `agency_portal.build_query`) for each prebuilt case and
dumping the rows.  Both processes derive the cases from the data (`load_cases`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import urlencode

import asyncpg
from aiohttp import web

from benchmarks import w1_apps
from benchmarks.l1_bulk import TEHRAN
from benchmarks.w2_apps import skip_rows
from samad_ivr.storage.agency_portal import AgencyPortalRepository, AgencyQuery, DueCursor
from samad_ivr.storage.agency_portal import build_query as agency_query
from samad_ivr.storage.db import Pool, create_pool
from samad_ivr.storage.inspection import InspectionRepository, Queue, QueueCursor, QueueQuery
from samad_ivr.storage.inspection import build_page_query as queue_query

DEEP_ROWS = 1_000  # rows paged past before a deep page (page 21 of 50)
BUSY_AGENCY_SQL = """
SELECT agency_id, center_id FROM requests WHERE status <> 'closed' AND agency_id IS NOT NULL
GROUP BY agency_id, center_id ORDER BY count(*) DESC, agency_id LIMIT 1
"""


@dataclass(frozen=True, slots=True)
class ListCase:
    """One list: our app's path, and the statement the bare app runs for it."""

    name: str
    path: str
    sql: str
    args: list[Any]
    role: str  # whose session asks: "inspector" or "agency"


def _tokens(cursor: QueueCursor | DueCursor | None) -> dict[str, str]:
    return {} if cursor is None else {"cursor": cursor.token()}


async def _queue_cursor(pool: Pool, query: QueueQuery, rows: int) -> QueueCursor | None:
    repository = InspectionRepository(pool)

    async def page(after: QueueCursor | None, limit: int) -> tuple[int, QueueCursor | None]:
        found = await repository.page(replace(query, after=after, limit=limit), TEHRAN)
        return len(found.items), found.next_cursor

    return await skip_rows(page, rows)


async def _due_cursor(pool: Pool, query: AgencyQuery, rows: int) -> DueCursor | None:
    repository = AgencyPortalRepository(pool)

    async def page(after: DueCursor | None, limit: int) -> tuple[int, DueCursor | None]:
        found = await repository.requests(replace(query, after=after, limit=limit))
        return len(found.rows), found.next_cursor

    return await skip_rows(page, rows)


async def busiest(pool: Pool) -> tuple[int, int]:
    """(agency, its center): the agency with the most open requests, the worst list."""
    row = await pool.fetchrow(BUSY_AGENCY_SQL)
    assert row is not None, "L1 database has no assigned request"
    return int(row["agency_id"]), int(row["center_id"])


async def load_cases(pool: Pool, now: datetime) -> dict[str, ListCase]:
    """The inspectors' queues of the busiest agency's province and that agency's list,
    first pages and a page `DEEP_ROWS` in."""
    agency_id, center_id = await busiest(pool)
    today: date = now.astimezone(TEHRAN).date()
    cases: list[ListCase] = []
    base = f"/api/v1/inspector/centers/{center_id}/queues"
    for queue, deep in ((Queue.OVERDUE, True), (Queue.REOPENED, False), (Queue.OPEN, True)):
        first = QueueQuery(center_id, queue, now)
        pages: list[tuple[str, QueueCursor | None]] = [(queue.value, None)]
        if deep and (cursor := await _queue_cursor(pool, first, DEEP_ROWS)) is not None:
            pages.append((f"{queue.value}_deep", cursor))
        for name, after in pages:
            sql, args = queue_query(replace(first, after=after), today) or ("SELECT 1", [])
            suffix = f"?{urlencode(_tokens(after))}" if after else ""
            cases.append(ListCase(f"queue_{name}", f"{base}/{queue.value}{suffix}", sql, args,
                                  "inspector"))  # fmt: skip
    listing = AgencyQuery(agency_id)
    overdue = AgencyQuery(agency_id, overdue_on=today)
    deep_cursor = await _due_cursor(pool, listing, DEEP_ROWS)
    for name, agency, params in (
        ("agency_list", listing, {}),
        ("agency_list_deep", replace(listing, after=deep_cursor), _tokens(deep_cursor)),
        ("agency_overdue", overdue, {"overdue": "true"}),
    ):
        if name.endswith("_deep") and deep_cursor is None:
            continue  # the smoke data set is too small for a deep page
        sql, args = agency_query(agency)
        path = "/api/v1/agency/requests" + (f"?{urlencode(params)}" if params else "")
        cases.append(ListCase(name, path, sql, args, "agency"))
    return {case.name: case for case in cases}


def html_path(case: ListCase) -> str | None:
    """The console page showing the same list (None: no page for it)."""
    if case.role == "agency":
        return case.path.replace("/api/v1/agency/requests", "/agency")
    prefix, _, rest = case.path.partition("/queues/")
    queue, _, query = rest.partition("?")
    center = prefix.removeprefix("/api/v1/inspector/centers/")
    extra = f"&{query}" if query else ""
    return f"/inspector/centers/{center}?queue={queue}{extra}"


def bare_app(pool: Pool, cases: dict[str, ListCase]) -> web.Application:
    async def handler(request: web.Request) -> web.Response:
        case = cases[request.match_info["name"]]
        async with pool.acquire() as conn:
            rows = await conn.fetch(case.sql, *case.args)
        return web.json_response(
            {"rows": [{k: _plain(v) for k, v in r.items()} for r in rows]}, dumps=_dumps
        )

    app = web.Application()
    app.router.add_get("/bare/{name}", handler)
    return app


def _plain(value: object) -> object:
    return value.isoformat() if isinstance(value, (date, datetime)) else value


def _dumps(data: object) -> str:
    import json

    return json.dumps(data, ensure_ascii=False)


def ours_app(pool: Pool, url: str) -> web.Application:
    from samad_ivr.settings import Settings
    from samad_ivr.web.agency.routes import setup_agency
    from samad_ivr.web.app import WebDeps, create_app
    from samad_ivr.web.config import WEB_SETTINGS, WebSettings
    from samad_ivr.web.inspector.routes import inspector_feature
    from samad_ivr.web.openapi import setup_openapi
    from samad_ivr.web.security import setup_security

    def configure(app: web.Application) -> None:
        app[WEB_SETTINGS] = WebSettings.from_env({"SAMAD_WEB_SECRET": "l" * 40})

    settings = Settings.from_env({"SAMAD_DATABASE_URL": url})
    features = [configure, setup_security, setup_openapi, inspector_feature(), setup_agency]
    return create_app(WebDeps(settings, pool), features)


async def start(kind: str, url: str, host: str) -> tuple[int, Callable[[], Awaitable[None]]]:
    """Serve `kind` ("l1-ours" or "l1-bare") on an ephemeral port; (port, closer)."""
    if kind == "l1-ours":
        pool = await create_pool(url, min_size=4, max_size=10)
        return await w1_apps.serve(ours_app(pool, url), pool, host)
    bare = await asyncpg.create_pool(url, min_size=4, max_size=10)
    cases = await load_cases(bare, datetime.now(UTC))
    return await w1_apps.serve(bare_app(bare, cases), bare, host)
