"""The national dashboard: who sees which province's numbers, filters that change the
aggregates, exact counts per day, outcome, queue wait, official and topic, bad filters."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from aiohttp import web
from national.factories import make_counted_call, make_official
from openapi_spec_validator import validate

from samad_ivr.admin.jalali import iso_jalali
from samad_ivr.storage.accounts import Role
from samad_ivr.storage.dashboard import DashboardRepository
from samad_ivr.storage.db import Pool
from samad_ivr.web.app import DEPS, Feature
from samad_ivr.web.national.common import DASHBOARD
from samad_ivr.web.national.routes import national_feature

TEHRAN = ZoneInfo("Asia/Tehran")
# 1404-01-10 and 1404-01-11 are 2025-03-30 and 2025-03-31.
DAY_A = datetime(2025, 3, 30, 9, 30, tzinfo=TEHRAN)
DAY_B = datetime(2025, 3, 31, 10, 0, tzinfo=TEHRAN)
BOTH_DAYS = {"from": "1404-01-10", "to": "۱۴۰۴/۰۱/۱۱"}
HOSTILE = "<script>alert(1)</script>"
API = "/api/v1/national/dashboard"


@dataclass(frozen=True, slots=True)
class World:
    hamedan: int
    tehran: int
    ali: int
    reza: int
    sara: int
    hostile: int


@pytest.fixture
def web_features() -> Sequence[Feature]:
    return [national_feature()]


@pytest.fixture
async def world(db_pool: Pool, center_ids: dict[str, int]) -> World:
    h, t = center_ids["hamedan"], center_ids["tehran"]
    w = World(
        h, t, await make_official(db_pool, h, "علی"), await make_official(db_pool, h, "رضا"),
        await make_official(db_pool, t, "سارا"), await make_official(db_pool, t, HOSTILE),
    )  # fmt: skip
    minute = timedelta(minutes=1)
    for i, (center, disposition, fields) in enumerate([
        (h, "answered", {"official_id": w.ali, "queue_wait": 10, "topic": "housing"}),
        (h, "answered", {"official_id": w.ali, "queue_wait": 50, "topic": "employment",
                         "status": "closed"}),
        (h, "message", {"official_id": w.reza, "queue_wait": 130, "topic": "housing"}),
        (h, "abandoned", {"queue_wait": 400, "request": False}),
        (t, "answered", {"official_id": w.sara, "topic": "agriculture"}),
        (t, "answered", {"official_id": w.hostile, "topic": "agriculture"}),
    ]):  # fmt: skip
        await make_counted_call(db_pool, center, DAY_A + i * minute, disposition, **fields)
    await make_counted_call(db_pool, h, DAY_B, "answered", official_id=w.reza, topic="housing")
    # 00:10 in Tehran on day B is still day A in UTC: counted on Tehran's day B.
    just_after_midnight = datetime(2025, 3, 31, 0, 10, tzinfo=TEHRAN)
    assert just_after_midnight.astimezone(UTC).day == 30
    await make_counted_call(db_pool, t, just_after_midnight, "message", official_id=w.sara)
    await make_counted_call(db_pool, t, DAY_B, "abandoned", queue_wait=20, request=False)
    await make_counted_call(db_pool, t, DAY_B + minute, "failed", request=False)
    return w


async def dashboard(client: Any, **params: Any) -> dict[str, Any]:
    response = await client.get(API, params={**BOTH_DAYS, **params})
    assert response.status == 200, await response.text()
    body: dict[str, Any] = await response.json()
    return body


async def test_national_listener_sees_every_provinces_exact_numbers(
    web_client: Any, make_user: Any, login: Any, world: World
) -> None:
    await login(web_client, await make_user(Role.NATIONAL_LISTENER))
    body = await dashboard(web_client)
    assert (body["from"], body["to"]) == ("1404-01-10", "1404-01-11")
    assert body["totals"] == {
        "calls": 10, "answered": 5, "message": 2, "abandoned": 2, "other": 1, "waited": 5,
        # No agency has answered any of these requests yet (tests/reports covers those).
        "requests_answered_on_time": 0, "requests_answered_late": 0,
        "requests_at_long_stop": 0, "on_time_rate": None,
    }  # fmt: skip
    day_a, day_b = body["days"]
    assert (day_a["jalali_date"], day_a["date"]) == ("1404-01-10", "2025-03-30")
    counts = ("calls", "answered", "message", "abandoned", "other", "waited")
    assert [day_a[k] for k in counts] == [6, 4, 1, 1, 0, 4]
    assert [day_b[k] for k in counts] == [4, 1, 1, 1, 1, 1]
    # waits of day A: 10, 50, 130, 400 s (percentile_cont interpolates)
    assert day_a["median_wait_seconds"] == pytest.approx(90)
    assert day_a["p90_wait_seconds"] == pytest.approx(319)
    assert day_b["median_wait_seconds"] == pytest.approx(20)
    assert [b["calls"] for b in body["wait_buckets"]] == [2, 1, 0, 1, 1]
    assert [(b["from_seconds"], b["to_seconds"]) for b in body["wait_buckets"]][-1] == (300, None)
    officials = {o["official_id"]: (o["calls"], o["answered"]) for o in body["officials"]}
    assert officials == {
        world.ali: (2, 2), world.reza: (2, 1), world.sara: (2, 1), world.hostile: (1, 1),
    }  # fmt: skip
    assert body["calls_without_official"] == 3
    assert body["other_officials_calls"] == 0
    topics = {t["topic"]: t["requests"] for t in body["topics"]}
    assert topics == {"housing": 3, "agriculture": 2, "employment": 1, None: 1}
    assert body["topics"][0]["label"] == "نهضت ملی مسکن"  # the center's topic name


@pytest.mark.parametrize(
    ("role", "province", "expected_calls"),
    [
        (Role.NATIONAL_LISTENER, None, 10),
        (Role.SUPERUSER, None, 10),
        (Role.PROVINCE_ADMIN, "hamedan", 5),
        (Role.PROVINCE_ADMIN, "tehran", 5),
        (Role.OFFICIAL, "hamedan", None),
        (Role.AGENCY_STAFF, "hamedan", None),
        (Role.INSPECTOR, "tehran", None),
    ],
)
async def test_only_national_roles_and_province_admins_see_numbers_each_their_own(
    web_client: Any, make_user: Any, login: Any, world: World, center_ids: dict[str, int],
    role: Role, province: str | None, expected_calls: int | None,
) -> None:  # fmt: skip
    await login(web_client, await make_user(role, center_ids[province] if province else None))
    api = await web_client.get(API, params=BOTH_DAYS)
    page = await web_client.get("/national/dashboard", params=BOTH_DAYS)
    html = await page.text()
    if expected_calls is None:
        assert (api.status, page.status) == (403, 403)
        assert "calls" not in await api.json()
        assert "chart-" not in html
        return
    assert (api.status, page.status) == (200, 200)
    assert (await api.json())["totals"]["calls"] == expected_calls
    assert 'role="img"' in html
    answered_day_a = {None: "۴", "hamedan": "۲", "tehran": "۲"}[province]
    assert f"۱۴۰۴/۰۱/۱۰ — پاسخ داده شد: {answered_day_a}</title>" in html


async def test_province_admin_asking_for_another_province_gets_none_of_its_numbers(
    web_client: Any, make_user: Any, login: Any, world: World
) -> None:
    await login(web_client, await make_user(Role.PROVINCE_ADMIN, world.hamedan))
    own = await dashboard(web_client)
    assert own["totals"]["calls"] == 5
    assert {o["official_id"] for o in own["officials"]} == {world.ali, world.reza}
    assert {t["topic"] for t in own["topics"]} == {"housing", "employment"}
    other = {**BOTH_DAYS, "center_id": str(world.tehran)}
    assert (await web_client.get(API, params=other)).status == 403
    page = await web_client.get("/national/dashboard", params=other)
    html = await page.text()
    assert page.status == 200
    assert "در این بازه تماسی نبوده است." in html
    assert "سارا" not in html
    assert 'role="img"' not in html


async def test_filters_change_the_aggregates(
    web_client: Any, make_user: Any, login: Any, world: World
) -> None:
    await login(web_client, await make_user(Role.SUPERUSER))

    async def calls(**params: Any) -> int:
        return int((await dashboard(web_client, **params))["totals"]["calls"])

    assert await calls(center_id=world.tehran) == 5
    assert await calls(official_id=world.ali) == 2
    assert await calls(topic="housing") == 3
    assert await calls(status="closed") == 1
    assert await calls(**{"from": "1404-01-10", "to": "1404-01-10"}) == 6
    assert await calls(**{"from": "۱۴۰۴/۰۱/۱۱", "to": "۱۴۰۴/۰۱/۱۱"}) == 4
    day_b = {"from": "1404-01-11", "to": "1404-01-11"}
    (tehran_day_b,) = (await dashboard(web_client, center_id=world.tehran, **day_b))["days"]
    assert (tehran_day_b["jalali_date"], tehran_day_b["message"]) == ("1404-01-11", 1)


async def test_default_range_is_the_last_thirty_days(
    web_client: Any, make_user: Any, login: Any, db_pool: Pool, center_ids: dict[str, int]
) -> None:
    now = datetime.now(UTC)
    await make_counted_call(db_pool, center_ids["hamedan"], now - timedelta(minutes=5), "answered")
    await make_counted_call(db_pool, center_ids["hamedan"], now - timedelta(days=40), "answered")
    await login(web_client, await make_user(Role.NATIONAL_LISTENER))
    response = await web_client.get(API)
    body = await response.json()
    today = now.astimezone(TEHRAN).date()
    assert (body["from"], body["to"]) == (
        iso_jalali(today - timedelta(days=29)), iso_jalali(today)
    )  # fmt: skip
    assert len(body["days"]) == 30
    assert body["totals"]["calls"] == 1
    since = iso_jalali(today - timedelta(days=2))
    recent = await (await web_client.get(API, params={"from": since})).json()
    assert (recent["from"], recent["to"], len(recent["days"])) == (since, iso_jalali(today), 3)


async def test_bad_filters_are_a_clear_400_on_the_page_and_422_in_the_api(
    web_client: Any, make_user: Any, login: Any, world: World
) -> None:
    await login(web_client, await make_user(Role.NATIONAL_LISTENER))
    for params, message in [
        ({"from": "1404-13-01"}, "ماه «۱۳» باید بین ۱ و ۱۲ باشد."),
        ({"from": "1403-01-01", "to": "1404-12-29"}, "تا ۳۶۶ روز"),
        ({"from": "1404-01-11", "to": "1404-01-10"}, "تاریخ «از» باید پیش از تاریخ «تا» باشد."),
        ({"caller": "abc"}, "شمارهٔ تماس‌گیرنده «abc» معتبر نیست."),
    ]:
        page = await web_client.get("/national/dashboard", params=params)
        assert page.status == 400
        html = await page.text()
        assert message in html
        assert 'role="alert"' in html
        api = await web_client.get(API, params=params)
        assert api.status == 422
        assert message in (await api.json())["error"]["message"]
    assert (await web_client.get(API, params={"cursor": "x"})).status == 422


async def test_page_escapes_official_names_and_links_to_the_same_search(
    web_client: Any, make_user: Any, login: Any, world: World
) -> None:
    await login(web_client, await make_user(Role.NATIONAL_LISTENER))
    page = await web_client.get("/national/dashboard", params={**BOTH_DAYS, "topic": "housing"})
    html = await page.text()
    assert "<script>alert" not in html
    assert page.status == 200
    assert '<option value="housing" selected>' in html
    assert 'href="/national/calls?from=1404-01-10&amp;to=' in html
    both = {**BOTH_DAYS, "center_id": str(world.tehran)}
    page = await web_client.get("/national/dashboard", params=both)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in await page.text()
    search = await web_client.get("/national/calls", params={"topic": "housing", "cursor": ""})
    assert 'href="/national/dashboard?topic=housing"' in await search.text()
    document = await (await web_client.get("/api/openapi.json")).json()
    validate(document)
    assert document["paths"]["/national/dashboard"]["get"]["operationId"] == "national_dashboard"


def impatient_dashboard(app: web.Application) -> None:
    app[DASHBOARD] = DashboardRepository(app[DEPS].pool, statement_timeout_ms=300)


@pytest.mark.parametrize("web_features", [[national_feature(), impatient_dashboard]])
async def test_aggregates_that_take_too_long_are_a_503_asking_for_a_narrower_range(
    web_client: Any, make_user: Any, login: Any, db_pool: Pool
) -> None:
    await login(web_client, await make_user(Role.NATIONAL_LISTENER))
    async with db_pool.acquire() as blocker, blocker.transaction():
        # Holding the table makes the dashboard's queries wait past their time limit.
        await blocker.execute("LOCK TABLE calls IN ACCESS EXCLUSIVE MODE")
        api = await web_client.get(API, params=BOTH_DAYS)
        page = await web_client.get("/national/dashboard", params=BOTH_DAYS)
    assert (api.status, page.status) == (503, 503)
    assert "بازهٔ کوتاه‌تری" in (await api.json())["error"]["message"]
    assert "بازهٔ کوتاه‌تری" in await page.text()
    assert (await web_client.get(API, params=BOTH_DAYS)).status == 200
