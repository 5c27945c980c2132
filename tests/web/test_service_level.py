"""Service level from the call rows: per day and per session answered, abandoned and after
how long, callbacks made and reached, average speed of answer, answered within T — in the
API, on the dashboard page, each province admin their own, T from the settings."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from itertools import count
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from samad_ivr.settings import Settings
from samad_ivr.storage.accounts import Role
from samad_ivr.storage.db import Pool
from samad_ivr.web.app import Feature
from samad_ivr.web.national.routes import national_feature

TEHRAN = ZoneInfo("Asia/Tehran")
DAY_A = datetime(2025, 3, 30, 9, 30, tzinfo=TEHRAN)  # 1404-01-10
DAY_B = datetime(2025, 3, 31, 10, 0, tzinfo=TEHRAN)  # 1404-01-11
BOTH_DAYS = {"from": "1404-01-10", "to": "1404-01-11"}
API = "/api/v1/national/service-level"
_n = count(1)


@pytest.fixture
def threshold() -> int:
    return 60


@pytest.fixture
def settings(database_url: str, threshold: int) -> Settings:
    env = {"SAMAD_DATABASE_URL": database_url, "SAMAD_WEB_BIND": "127.0.0.1:0"}
    return replace(Settings.from_env(env), service_level_seconds=threshold)


@pytest.fixture
def web_features() -> Sequence[Feature]:
    return [national_feature()]


async def call(
    pool: Pool, center: int, start: datetime, disposition: str, *,
    answer_after: float | None = None, end_after: float = 120, route: str | None = None,
) -> str:  # fmt: skip
    uniqueid = f"1700000002.{next(_n)}"
    async with pool.acquire() as conn:
        await conn.execute(
            """INSERT INTO calls (uniqueid, center_id, caller_raw, started_at, answered_at,
                                  ended_at, disposition, route)
               VALUES ($1, $2, '09120000000', $3, $4, $5, $6, $7)""",
            uniqueid, center, start,
            None if answer_after is None else start + timedelta(seconds=answer_after),
            start + timedelta(seconds=end_after), disposition, route,
        )  # fmt: skip
    return uniqueid


async def callback(
    pool: Pool, center: int, start: datetime, results: list[str], *, origin: str | None = None
) -> None:
    """A caller who pressed 1, and our attempts to call them back (migration 0028)."""
    async with pool.acquire() as conn:
        callback_id = await conn.fetchval(
            """INSERT INTO callbacks (center_id, origin_uniqueid, caller_e164, queued_at,
                                      requested_at, session_ends_at, next_attempt_at)
               VALUES ($1, $2, '+989120000000', $3::timestamptz, $3, $3 + interval '1 hour', $3)
               RETURNING id""",
            center, origin or f"1700000003.{next(_n)}", start,
        )  # fmt: skip
        for attempt, result in enumerate(results, start=1):
            await conn.execute(
                """INSERT INTO callback_attempts (callback_id, attempt, channel_id, started_at,
                                                  result, ended_at)
                   VALUES ($1, $2, $3, $4::timestamptz, $5, $4 + interval '30 seconds')""",
                callback_id, attempt, f"cb-{callback_id}-{attempt}",
                start + timedelta(minutes=attempt), result,
            )  # fmt: skip


@pytest.fixture
async def calls(db_pool: Pool, center_ids: dict[str, int]) -> None:
    h, t = center_ids["hamedan"], center_ids["tehran"]
    minute = timedelta(minutes=1)
    await call(db_pool, h, DAY_A, "answered", answer_after=20, route="desk")
    await call(db_pool, h, DAY_A + minute, "answered", answer_after=90, route="queue")
    await call(db_pool, h, DAY_A + 2 * minute, "abandoned", end_after=45, route="queue")
    await call(db_pool, h, DAY_A + 3 * minute, "abandoned", end_after=5, route="queue")
    await call(db_pool, h, DAY_A + 4 * minute, "message", route="queue")
    # Outbound rows are not inbound calls (the callbacks are counted from their attempts).
    await call(db_pool, h, DAY_A + 5 * minute, "answered", answer_after=3, route="satisfaction")
    await call(db_pool, h, DAY_A + 6 * minute, "answered", answer_after=8, route="callback")
    await call(db_pool, h, DAY_A + 7 * minute, "no_answer", route="callback")
    await callback(db_pool, h, DAY_A + 6 * minute, ["no_answer", "answered"])
    await call(db_pool, t, DAY_A, "answered", answer_after=30, route="desk")
    await call(db_pool, h, DAY_B, "abandoned", end_after=400, route="queue")


async def get(client: Any, **params: Any) -> dict[str, Any]:
    response = await client.get(API, params={**BOTH_DAYS, **params})
    assert response.status == 200, await response.text()
    body: dict[str, Any] = await response.json()
    return body


async def test_national_numbers_come_from_the_call_rows_per_day_and_session(
    web_client: Any, make_user: Any, login: Any, calls: None
) -> None:
    await login(web_client, await make_user(Role.NATIONAL_LISTENER))
    body = await get(web_client)
    assert body["threshold_seconds"] == 60
    totals = body["totals"]
    assert {k: totals[k] for k in ("calls", "answered", "abandoned", "callbacks")} == {
        "calls": 7, "answered": 3, "abandoned": 3, "callbacks": 2,
    }  # fmt: skip
    assert totals["callbacks_reached"] == 1
    # (20 + 90 + 30) / 3 answered; 2 of 6 answered-or-abandoned within 60 s.
    assert totals["average_speed_of_answer_seconds"] == pytest.approx(140 / 3)
    assert (totals["answered_within"], totals["service_level"]) == (2, pytest.approx(2 / 6))
    day_a, day_b = body["days"]
    assert (day_a["calls"], day_a["abandoned"], day_b["calls"], day_b["abandoned"]) == (6, 2, 1, 1)
    assert day_b["average_speed_of_answer_seconds"] is None
    assert day_b["service_level"] == 0
    sessions = [
        (s["jalali_date"], s["center"], s["calls"], s["answered"]) for s in body["sessions"]
    ]
    assert sessions == [
        ("1404-01-10", "تهران", 1, 1),
        ("1404-01-10", "همدان", 5, 2),
        ("1404-01-11", "همدان", 1, 0),
    ]  # fmt: skip
    # abandoned after 5 s, 45 s and 400 s
    assert [b["calls"] for b in body["abandoned_after"]] == [1, 0, 1, 0, 0, 1]
    assert body["abandoned_after"][-1] == {"from_seconds": 300, "to_seconds": None, "calls": 1}


async def test_a_province_admin_counts_only_their_own_province(
    web_client: Any, make_user: Any, login: Any, calls: None, center_ids: dict[str, int]
) -> None:
    await login(web_client, await make_user(Role.PROVINCE_ADMIN, center_ids["tehran"]))
    other = {**BOTH_DAYS, "center_id": str(center_ids["hamedan"])}
    assert (await web_client.get(API, params=other)).status == 403
    body = await get(web_client)
    assert body["totals"]["calls"] == 1
    assert body["totals"]["callbacks"] == 0
    assert [s["center"] for s in body["sessions"]] == ["تهران"]


@pytest.mark.parametrize("threshold", [100])
async def test_the_threshold_comes_from_the_setting(
    web_client: Any, make_user: Any, login: Any, calls: None
) -> None:
    await login(web_client, await make_user(Role.SUPERUSER))
    body = await get(web_client)
    assert body["threshold_seconds"] == 100
    assert body["totals"]["answered_within"] == 3


async def test_the_dashboard_shows_the_numbers_as_charts_and_a_session_table(
    web_client: Any, make_user: Any, login: Any, calls: None
) -> None:
    await login(web_client, await make_user(Role.NATIONAL_LISTENER))
    response = await web_client.get("/national/dashboard", params=BOTH_DAYS)
    assert response.status == 200
    html = await response.text()
    for chart in ("service-outcomes", "service-speed", "service-within", "abandon-buckets"):
        assert f'id="chart-{chart}"' in html
    assert "پاسخ در ۶۰ ثانیهٔ نخست" in html
    table = html[html.index('id="sessions"') :]
    rows = re.findall(r"<tr>(.*?)</tr>", table[: table.index("</table>")], re.S)
    assert len(rows) == 1 + 3  # header and three sessions
    assert "همدان" in rows[2]
    assert "<td>۵</td>" in rows[2]


async def test_a_caller_who_chose_a_callback_is_not_counted_as_abandoned(
    web_client: Any, make_user: Any, login: Any, center_ids: dict[str, int], db_pool: Pool
) -> None:
    h = center_ids["hamedan"]
    await call(db_pool, h, DAY_A, "abandoned", end_after=50, route="queue")
    chose = await call(db_pool, h, DAY_A + timedelta(minutes=1), "abandoned", route="queue")
    await callback(db_pool, h, DAY_A + timedelta(minutes=2), ["answered"], origin=chose)
    await login(web_client, await make_user(Role.NATIONAL_LISTENER))
    totals = (await get(web_client))["totals"]
    assert (totals["calls"], totals["abandoned"], totals["callbacks_reached"]) == (2, 1, 1)
