"""/reports/agencies, its CSV and GET /api/v1/reports/agencies on the hand-made world of
`reports.factories`: exact figures, the CSV as Excel reads it, bad input, range limits."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from reports.factories import NOW, RANGE, ReportWorld, build_world

from samad_ivr.storage.accounts import Role
from samad_ivr.storage.db import Pool
from samad_ivr.web.app import Feature
from samad_ivr.web.reports import agency_reports_feature
from samad_ivr.web.reports.api import RESPONSE_SCHEMA

API = "/api/v1/reports/agencies"


@pytest.fixture
def web_features() -> Sequence[Feature]:
    return [agency_reports_feature(clock=lambda: NOW)]


@pytest.fixture
async def world(db_pool: Pool) -> ReportWorld:
    return await build_world(db_pool, hostile_name=True)


@pytest.fixture
async def national(web_client: Any, make_user: Any, login: Any, world: ReportWorld) -> Any:
    await login(web_client, await make_user(Role.NATIONAL_LISTENER))
    return web_client


async def _api(client: Any, **params: Any) -> dict[str, Any]:
    response = await client.get(API, params={**RANGE, **params})
    assert response.status == 200, await response.text()
    body: dict[str, Any] = await response.json()
    Draft202012Validator(RESPONSE_SCHEMA).validate(body)
    return body


async def test_the_api_reports_every_province_with_exact_figures(
    national: Any, world: ReportWorld
) -> None:
    body = await _api(national)
    assert (body["from"], body["to"], body["center_id"]) == ("1404-01-10", "1404-01-20", None)
    assert body["totals"] == {
        "requests": 9, "answered": 4, "answered_on_time": 3, "answered_late": 1, "open": 7,
        "overdue_now": 2, "reopened": 1, "median_days_to_answer": 4.0,
        "reopened_share": pytest.approx(1 / 9), "on_time_rate": 0.75,
    }  # fmt: skip
    agencies = {a["agency_id"]: a for a in body["agencies"]}
    assert agencies[world.agency_a]["agency"] == "<b>اداره</b>"
    assert agencies[world.agency_a]["center"] == "همدان"
    assert agencies[world.agency_b]["figures"]["overdue_now"] == 2
    assert agencies[None]["agency"] == "ارجاع‌نشده به دستگاه"
    topics = {t["topic"]: (t["label"], t["figures"]["requests"]) for t in body["topics"]}
    assert topics == {
        "employment": ("اشتغال", 2), "housing": ("نهضت ملی مسکن", 3),
        "agriculture": ("کشاورزی", 2), None: ("بدون موضوع", 2),
    }  # fmt: skip
    assert body["as_of"].startswith("2025-04-20T12:00:00+03:30")


async def test_a_national_user_can_pick_one_province(national: Any, world: ReportWorld) -> None:
    body = await _api(national, center_id=world.tehran)
    assert body["center_id"] == world.tehran
    assert body["totals"]["requests"] == 2
    assert [a["agency_id"] for a in body["agencies"]] == [world.agency_c]


async def test_without_dates_the_report_covers_the_30_days_up_to_today(national: Any) -> None:
    response = await national.get(API)
    body = await response.json()
    # NOW is 1404-01-31; its 30 days start on 1404-01-02 and hold every request here.
    assert (body["from"], body["to"]) == ("1404-01-02", "1404-01-31")
    assert body["totals"]["requests"] == 10


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"from": "1404-13-01"}, "ماه «۱۳» باید بین ۱ و ۱۲ باشد."),
        ({"from": "فردا"}, "نامعتبر است"),
        ({"from": "1404-01-11", "to": "1404-01-10"}, "تاریخ «از» باید پیش از تاریخ «تا» باشد."),
        ({"from": "1403-01-01", "to": "1404-01-01"}, "تا ۳۶۶ روز"),
    ],
)
async def test_bad_dates_are_a_422_with_a_persian_message(
    national: Any, params: dict[str, str], message: str
) -> None:
    response = await national.get(API, params=params)
    assert response.status == 422
    error = (await response.json())["error"]
    assert error["code"] == "validation_failed"
    assert message in error["message"]


async def test_a_range_of_exactly_366_days_is_allowed(national: Any) -> None:
    # 1403 is a leap year: 1403-01-01..1403-12-30 is 366 days.
    body = await _api(national, **{"from": "1403-01-01", "to": "1403-12-30"})
    assert body["totals"]["requests"] == 0


@pytest.mark.parametrize(
    "params", [{"center_id": "abc"}, {"center_id": "0"}, {"colour": "red"}, {"to": "x" * 101}]
)
async def test_malformed_parameters_are_refused_by_the_schema(
    national: Any, params: dict[str, str]
) -> None:
    response = await national.get(API, params=params)
    assert response.status == 422
    assert (await response.json())["error"]["code"] == "validation_failed"


async def test_the_csv_opens_in_excel_with_persian_names_and_plain_numbers(
    national: Any, world: ReportWorld
) -> None:
    response = await national.get(
        "/reports/agencies.csv", params={**RANGE, "center_id": world.hamedan}
    )
    assert response.status == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    disposition = response.headers["Content-Disposition"]
    assert (
        disposition == f'attachment; filename="agencies-{world.hamedan}-1404-01-10-1404-01-20.csv"'
    )
    raw = await response.read()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0][:4] == ["بخش", "استان", "نام", "درخواست‌ها"]
    by_name = {(r[0], r[2]): r[3:] for r in rows[1:]}
    # requests, on time, late, open, overdue, median days, reopened %, on-time %
    assert by_name[("دستگاه", "<b>اداره</b>")] == ["3", "2", "1", "2", "0", "5.0", "33.3", "66.7"]
    assert by_name[("دستگاه", "جهاد کشاورزی")] == ["2", "0", "0", "2", "2", "", "0.0", ""]
    assert by_name[("موضوع", "نهضت ملی مسکن")][:6] == ["3", "1", "1", "2", "1", "9.0"]
    assert by_name[("جمع", "")] == ["7", "2", "1", "5", "2", "5.0", "14.3", "66.7"]
    assert len(rows) == 1 + 3 + 3 + 1


async def test_a_name_excel_would_run_as_a_formula_is_written_as_text(
    db_pool: Pool, national: Any, world: ReportWorld
) -> None:
    async with db_pool.acquire() as conn:
        await conn.execute(
            "UPDATE agencies SET name = '=HYPERLINK(\"x\")' WHERE id = $1", world.agency_b
        )
    response = await national.get("/reports/agencies.csv", params=RANGE)
    text = (await response.read()).decode("utf-8-sig")
    assert "'=HYPERLINK" in text
    assert "\n=HYPERLINK" not in text
    assert ",=HYPERLINK" not in text


async def test_a_bad_csv_request_is_a_persian_400_page(national: Any) -> None:
    response = await national.get("/reports/agencies.csv", params={"from": "1404-02-31x"})
    assert response.status == 400
    assert response.content_type == "text/html"
    assert "نامعتبر است" in await response.text()


async def test_the_page_shows_tables_charts_and_escapes_names(
    national: Any, world: ReportWorld
) -> None:
    response = await national.get("/reports/agencies", params=RANGE)
    assert response.status == 200
    html = await response.text()
    assert "&lt;b&gt;اداره&lt;/b&gt;" in html
    assert "<b>اداره</b>" not in html
    for chart in ("chart-agencies", "chart-topics", "chart-agency-rates", "chart-agency-medians"):
        assert f'id="{chart}"' in html
    assert "۷۵٪" in html  # the on-time rate of every province
    assert "۴٫۰ روز" in html  # the median
    assert 'name="from" value="1404-01-10"' in html
    assert "data-jdp" in html
    assert 'href="/reports/agencies.csv?from=1404-01-10&amp;to=1404-01-20"' in html


async def test_a_bad_date_on_the_page_keeps_the_form_and_says_why(national: Any) -> None:
    response = await national.get("/reports/agencies", params={"from": "۱۴۰۴/۰۱/۳۲"})
    assert response.status == 400
    html = await response.text()
    assert "فروردین ۱۴۰۴ ۳۱ روز دارد" in html
    assert 'value="۱۴۰۴/۰۱/۳۲"' in html
    assert "chart-agencies" not in html


async def test_the_operation_is_in_the_openapi_document(national: Any) -> None:
    document = await (await national.get("/api/openapi.json")).json()
    operation = document["paths"]["/reports/agencies"]["get"]
    assert operation["operationId"] == "agency_report"
    assert set(operation["x-roles"]) == {
        "superuser", "national_listener", "province_admin", "inspector",
    }  # fmt: skip
    assert {p["name"] for p in operation["parameters"]} == {"from", "to", "center_id"}
