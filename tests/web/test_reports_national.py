"""The national search and dashboard with the request lifecycle (issue 11), on the world
of `reports.factories`: every status with its Persian label, deadlines, "overdue now",
the agencies' on-time rate and the requests at the long stop."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import pytest
from reports.factories import NOW, RANGE, TEHRAN, ReportWorld, build_world

from samad_ivr.domain.lifecycle import STATUS_FA, Status
from samad_ivr.storage.accounts import Role
from samad_ivr.storage.db import Pool
from samad_ivr.storage.search import CallSearch, CallSearchRepository, Overdue
from samad_ivr.web.app import Feature
from samad_ivr.web.national.routes import national_feature

CALLS = "/api/v1/calls"
DASHBOARD = "/api/v1/national/dashboard"


@pytest.fixture
def web_features() -> Sequence[Feature]:
    return [national_feature()]


@pytest.fixture
async def world(db_pool: Pool) -> ReportWorld:
    return await build_world(db_pool)


@pytest.fixture
async def national(web_client: Any, make_user: Any, login: Any, world: ReportWorld) -> Any:
    await login(web_client, await make_user(Role.NATIONAL_LISTENER))
    return web_client


async def _calls(client: Any, **params: Any) -> dict[str, Any]:
    response = await client.get(CALLS, params=params)
    assert response.status == 200, await response.text()
    body: dict[str, Any] = await response.json()
    return body


@pytest.mark.parametrize(
    ("status", "names"),
    [
        ("reopened", {"a_reopened"}),
        ("escalated", {"b_escalated"}),
        ("closed", {"a_late", "resolved"}),
        ("registered", {"waiting"}),
        ("answered", {"a_on_time", "outside", "c_on_time"}),
    ],
)
async def test_the_search_filters_by_every_status(
    national: Any, world: ReportWorld, status: str, names: set[str]
) -> None:
    body = await _calls(national, status=status)
    assert {c["request_id"] for c in body["calls"]} == {world.requests[n] for n in names}
    assert {c["status"] for c in body["calls"]} == {status}


async def test_each_hit_carries_its_deadline_and_whether_it_is_overdue(
    national: Any, world: ReportWorld
) -> None:
    body = await _calls(national)
    hits = {c["request_id"]: c for c in body["calls"]}
    overdue = hits[world.requests["b_overdue"]]
    # Assigned 1404-01-10 with ten calendar days: due 1404-01-20 (2025-04-09).
    assert (overdue["due_on"], overdue["jalali_due_on"], overdue["overdue"]) == (
        "2025-04-09", "1404-01-20", True,
    )  # fmt: skip
    waiting = hits[world.requests["waiting"]]
    assert (waiting["due_on"], waiting["jalali_due_on"], waiting["overdue"]) == (None, None, False)
    assert hits[world.requests["a_on_time"]]["overdue"] is False  # answered: not waiting


async def test_overdue_now_keeps_the_escalated_and_the_assigned_past_their_day(
    national: Any, world: ReportWorld
) -> None:
    body = await _calls(national, overdue="true")
    # Today is long after every deadline of the world, so c_fresh is overdue too.
    want = {world.requests[n] for n in ("b_overdue", "b_escalated", "c_fresh")}
    assert {c["request_id"] for c in body["calls"]} == want
    assert all(c["overdue"] for c in body["calls"])
    only_hamedan = await _calls(national, overdue="true", center_id=world.hamedan)
    assert len(only_hamedan["calls"]) == 2


async def test_overdue_now_turns_at_the_end_of_the_due_day_in_the_centers_zone(
    db_pool: Pool, world: ReportWorld
) -> None:
    repo = CallSearchRepository(db_pool)

    async def overdue_at(now: datetime) -> set[int]:
        page = await repo.search(CallSearch(None, overdue=Overdue(now, "Asia/Tehran")))
        return {h.request_id for h in page.hits if h.request_id is not None}

    b_overdue, b_escalated = world.requests["b_overdue"], world.requests["b_escalated"]
    assert await overdue_at(datetime(2025, 4, 9, 23, 59, tzinfo=TEHRAN)) == {b_escalated}
    assert await overdue_at(datetime(2025, 4, 10, 0, 0, tzinfo=TEHRAN)) == {b_overdue, b_escalated}
    assert await overdue_at(NOW) == {b_overdue, b_escalated}
    with pytest.raises(ValueError, match="now"):
        Overdue(NOW.replace(tzinfo=None), "Asia/Tehran")


async def test_an_unknown_status_is_refused(national: Any) -> None:
    response = await national.get(CALLS, params={"status": "lost"})
    assert response.status == 422


async def test_the_search_page_names_every_status_in_persian_and_marks_overdue(
    national: Any, world: ReportWorld
) -> None:
    response = await national.get("/national/calls")
    html = await response.text()
    for status in (Status.REGISTERED, Status.ANSWERED, Status.CLOSED, Status.REOPENED):
        assert f'data-status="{status.value}">{STATUS_FA[status]}</td>' in html
    assert f'data-status="escalated">{STATUS_FA[Status.ESCALATED]}' in html
    assert '<bdi>۱۴۰۴/۰۱/۲۰</bdi> <span class="overdue">گذشته از مهلت</span>' in html
    # The filter offers all six statuses and "overdue now".
    for status in Status:
        assert f'<option value="{status.value}" >{STATUS_FA[status]}</option>' in html
    assert 'name="overdue"' in html


async def test_the_dashboard_counts_the_on_time_rate_and_the_long_stop(
    national: Any, world: ReportWorld
) -> None:
    response = await national.get(DASHBOARD, params=RANGE)
    body = await response.json()
    totals = body["totals"]
    # Answered: a_on_time, a_reopened, c_on_time on time; a_late late.  b_escalated is at
    # the long stop; "outside" was called before the range.
    assert (totals["requests_answered_on_time"], totals["requests_answered_late"]) == (3, 1)
    assert totals["on_time_rate"] == 0.75
    assert totals["requests_at_long_stop"] == 1
    centers = {c["center"]: c for c in body["centers"]}
    assert centers["همدان"]["on_time_rate"] == pytest.approx(2 / 3)
    assert centers["همدان"]["requests_at_long_stop"] == 1
    assert centers["تهران"]["on_time_rate"] == 1.0
    day = next(d for d in body["days"] if d["jalali_date"] == "1404-01-10")
    assert (day["requests_answered_on_time"], day["requests_answered_late"]) == (3, 1)


async def test_a_province_admin_sees_only_their_provinces_rate(
    web_client: Any, make_user: Any, login: Any, world: ReportWorld
) -> None:
    await login(web_client, await make_user(Role.PROVINCE_ADMIN, world.hamedan))
    body = await (await web_client.get(DASHBOARD, params=RANGE)).json()
    assert body["totals"]["on_time_rate"] == pytest.approx(2 / 3)
    assert [c["center"] for c in body["centers"]] == ["همدان"]
    forbidden = await web_client.get(DASHBOARD, params={**RANGE, "center_id": world.tehran})
    assert forbidden.status == 403


async def test_the_dashboard_page_draws_the_new_charts_with_their_numbers(
    national: Any, world: ReportWorld
) -> None:
    html = await (await national.get("/national/dashboard", params=RANGE)).text()
    for chart in ("chart-answers", "chart-center-rates", "chart-long-stop"):
        assert f'id="{chart}"' in html
    assert "پاسخ به‌موقع دستگاه‌ها" in html
    assert "۷۵٪" in html
    assert "<td>۶۷٪</td>" in html  # Hamedan's rate in the chart's table
