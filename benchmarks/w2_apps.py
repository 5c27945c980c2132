"""W2's web apps and the searches they answer (run by `benchmarks.servers`).

"w2-ours" is the real national console (the same app as W1's "ours": `GET /api/v1/calls`
and the HTML page `/national/calls`, with session, role check and validation);
"w2-bare" is W1's hand-written aiohttp + asyncpg endpoint running the same SQL
(`build_query`) for each prebuilt search.  Both processes derive the searches from the
data (`load_cases`), so they agree without passing anything between them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any, TypeVar

import asyncpg

from benchmarks import w1_apps
from benchmarks.w1_apps import TZ, Case
from samad_ivr.admin.jalali import iso_jalali, local_range
from samad_ivr.domain.phone import normalise_caller_id
from samad_ivr.storage.db import Pool, create_pool
from samad_ivr.storage.search import CallSearch, CallSearchRepository, Cursor

C = TypeVar("C")
Page = Callable[[C | None, int], Awaitable[tuple[int, C | None]]]

FREQUENT_CALLER_LOCAL = "09120001234"
# Rows skipped before a deep page: page 101 of the list, page 51 of a province's month.
DEEP_LIST = 5_000
DEEP_FILTERED = 2_500

CASE_SQL = """
SELECT (SELECT id FROM centers WHERE code = 'p2') AS center_id,
       (SELECT max(started_at) FROM calls) AS newest,
       (SELECT min(started_at) FROM calls) AS oldest
"""
# A tracking code from the middle of the five years (any request's will do: unique index).
TRACKING_SQL = "SELECT tracking_code FROM requests WHERE id >= $1 ORDER BY id LIMIT 1"


async def skip_rows(page: Page[C], rows: int) -> C | None:
    """The cursor a user reaches by paging `rows` rows in (None: there are fewer);
    `page(after, limit)` fetches one page: (rows on it, its next cursor)."""
    cursor: C | None = None
    left = rows
    while left > 0:
        count, following = await page(cursor, min(200, left))
        if following is None:
            return None
        cursor, left = following, left - count
    return cursor


async def _skip(pool: Pool, search: CallSearch, rows: int) -> Cursor | None:
    repository = CallSearchRepository(pool)

    async def page(after: Cursor | None, limit: int) -> tuple[int, Cursor | None]:
        found = await repository.search(replace(search, after=after, limit=limit))
        return len(found.hits), found.next_cursor

    return await skip_rows(page, rows)


def _days(first: date, last: date) -> tuple[dict[str, str], datetime, datetime]:
    start, end = local_range(first, last, TZ)
    return {"from": iso_jalali(first), "to": iso_jalali(last)}, start, end


def _overdue_filter() -> dict[str, Any] | None:
    """CallSearch's "overdue now" filter, if this version of the search has one."""
    from samad_ivr.storage import search

    overdue = getattr(search, "Overdue", None)
    if overdue is None:
        return None
    return {"overdue": overdue(datetime.now(UTC), TZ.key)}


async def load_cases(pool: Pool) -> dict[str, Case]:
    """The searches people run, from the data: first pages and pages deep into the set."""
    row = await pool.fetchrow(CASE_SQL)
    assert row is not None
    assert row["newest"] is not None, "W2 database is empty"
    center_id: int = row["center_id"]
    today = row["newest"].astimezone(TZ).date()
    month, m_from, m_to = _days(today - timedelta(days=33), today - timedelta(days=3))
    year, y_from, y_to = _days(today - timedelta(days=730), today - timedelta(days=366))
    middle = row["oldest"] + (row["newest"] - row["oldest"]) / 2
    middle_id = await pool.fetchval("SELECT min(id) FROM calls WHERE started_at >= $1", middle)
    code = await pool.fetchval(TRACKING_SQL, middle_id)
    caller = normalise_caller_id(FREQUENT_CALLER_LOCAL).e164
    province = {"center_id": str(center_id)}
    everyone = CallSearch(None)
    searches: list[tuple[str, dict[str, str], CallSearch]] = [
        ("list", {}, everyone),
        ("province_month", {**province, **month},
         CallSearch(None, center_id=center_id, started_from=m_from, started_before=m_to)),
        ("province_year", {**province, **year},
         CallSearch(None, center_id=center_id, started_from=y_from, started_before=y_to)),
        ("tracking_code", {"tracking_code": str(code)}, CallSearch(None, tracking_code=code)),
        ("caller", {"caller": FREQUENT_CALLER_LOCAL}, CallSearch(None, caller_e164=caller)),
        ("status_escalated", {"status": "escalated"}, CallSearch(None, status="escalated")),
        ("province_open", {**province, "status": "assigned"},
         CallSearch(None, center_id=center_id, status="assigned")),
    ]  # fmt: skip
    overdue = _overdue_filter()
    if overdue is not None:  # "overdue now" arrives with issue 11's search columns
        searches.append(("overdue", {"overdue": "true"}, replace(everyone, **overdue)))
    cases = [Case(name, params, search) for name, params, search in searches]
    for name, rows in (
        ("list", DEEP_LIST),
        ("province_month", DEEP_FILTERED),
        ("caller", 50),
        ("status_escalated", DEEP_FILTERED),
        ("overdue", DEEP_FILTERED),
    ):
        base = next((case for case in cases if case.name == name), None)
        if base is None:
            continue
        cursor = await _skip(pool, base.search, rows)
        if cursor is not None:  # the tiny smoke data set has no deep pages
            params = {**base.params, "cursor": cursor.token()}
            cases.append(Case(f"{name}_deep", params, replace(base.search, after=cursor)))
    return {case.name: case for case in cases}


async def start(kind: str, url: str, host: str) -> tuple[int, Callable[[], Awaitable[None]]]:
    """Serve `kind` ("w2-ours" or "w2-bare") on an ephemeral port; (port, closer)."""
    if kind == "w2-ours":
        pool = await create_pool(url, min_size=4, max_size=10)
        return await w1_apps.serve(w1_apps.ours_app(pool, url), pool, host)
    # asyncpg's own defaults, as a hand-written app would have them
    bare = await asyncpg.create_pool(url, min_size=4, max_size=10)
    return await w1_apps.serve(w1_apps.bare_app(bare, await load_cases(bare)), bare, host)
