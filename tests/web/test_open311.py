"""Open311 GeoReport v2 (read only): both formats, the filters, the limits, the errors,
and no personal data in any response."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any
from xml.etree import ElementTree as ET

import pytest

from samad_ivr.storage.db import Pool, create_pool
from samad_ivr.storage.open311 import Open311Filter, Open311Repository, list_query
from samad_ivr.web.app import Feature
from samad_ivr.web.open311.views import open311_feature, request_filter

from .citizen_support import PERSONAL, CitizenRequest, citizen_request
from .conftest import Client

NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
JAN, FEB = "2026-01-01T00:00:00Z", "2026-02-01T00:00:00Z"
REQUEST_FIELDS = [
    "service_request_id", "status", "status_notes", "service_name", "service_code",
    "description", "agency_responsible", "service_notice", "requested_datetime",
    "updated_datetime", "expected_datetime", "address", "address_id", "zipcode", "lat",
    "long", "media_url", "jurisdiction_id",
]  # fmt: skip


@pytest.fixture
def web_features() -> Sequence[Feature]:
    return [open311_feature(clock=lambda: NOW)]


async def _json(client: Client, path: str, status: int = 200) -> Any:
    response = await client.get(path)
    assert response.status == status, await response.text()
    assert response.content_type == "application/json"
    return json.loads(await response.text())


async def _xml(client: Client, path: str, status: int = 200) -> ET.Element:
    response = await client.get(path)
    assert response.status == status, await response.text()
    assert response.content_type == "text/xml"
    return ET.fromstring(await response.read())


@pytest.fixture
async def three(db_pool: Pool) -> list[CitizenRequest]:
    """An open housing request of hamedan (yesterday), a closed employment one of
    hamedan (ten days ago) and an open housing one of tehran (a year ago)."""
    return [
        await citizen_request(db_pool, created_at=NOW - timedelta(days=1)),
        await citizen_request(
            db_pool, status="closed", topic="employment", created_at=NOW - timedelta(days=10)
        ),
        await citizen_request(
            db_pool, center="tehran", status="assigned", answer=None,
            created_at=NOW - timedelta(days=365),
        ),
    ]  # fmt: skip


async def test_services_list_the_topics_in_json_and_xml(web_client: Client, db_pool: Pool) -> None:
    await citizen_request(db_pool)
    services = await _json(web_client, "/open311/v2/services.json?jurisdiction_id=hamedan")
    by_code = {s["service_code"]: s for s in services}
    assert by_code["housing"]["service_name"] == "نهضت ملی مسکن"
    assert by_code["housing"]["metadata"] is False
    assert by_code["housing"]["type"] == "realtime"
    assert set(by_code["housing"]) == {
        "service_code", "service_name", "description", "metadata", "type", "keywords", "group"
    }  # fmt: skip
    root = await _xml(web_client, "/open311/v2/services.xml")
    assert root.tag == "services"
    codes = [s.findtext("service_code") for s in root.findall("service")]
    assert {"housing", "employment"} <= set(codes)
    assert root.find("service/metadata") is not None
    assert root.findtext("service/metadata") == "false"


async def test_one_request_has_the_specification_s_fields_with_offsets(
    web_client: Client, three: list[CitizenRequest]
) -> None:
    code = three[0].code
    [item] = await _json(web_client, f"/open311/v2/requests/{code}.json")
    assert list(item) == REQUEST_FIELDS
    assert item["service_request_id"] == code
    assert item["status"] == "open"
    assert item["status_notes"] == "پاسخ داده شده"
    assert item["service_code"] == "housing"
    assert item["service_name"] == "نهضت ملی مسکن"
    assert item["jurisdiction_id"] == "hamedan"
    assert item["agency_responsible"] == "ادارهٔ کل راه و شهرسازی"
    requested = datetime.fromisoformat(item["requested_datetime"])
    assert requested == NOW - timedelta(days=1)
    assert item["requested_datetime"].endswith("+03:30")
    # The deadline ends with 10 Dec 2026, center time: the first instant after it.
    assert item["expected_datetime"] == "2026-12-11T00:00:00+03:30"
    assert datetime.fromisoformat(item["updated_datetime"]) == requested + timedelta(hours=1)

    root = await _xml(web_client, f"/open311/v2/requests/{code}.xml")
    assert root.tag == "service_requests"
    [request] = root.findall("request")
    assert [child.tag for child in request] == REQUEST_FIELDS
    assert request.findtext("service_request_id") == code
    assert request.findtext("expected_datetime") == "2026-12-11T00:00:00+03:30"
    assert request.findtext("status_notes") == "پاسخ داده شده"


async def test_the_list_defaults_to_the_last_ninety_days_newest_first(
    web_client: Client, three: list[CitizenRequest]
) -> None:
    items = await _json(web_client, "/open311/v2/requests.json")
    assert [i["service_request_id"] for i in items] == [three[0].code, three[1].code]
    root = await _xml(web_client, "/open311/v2/requests.xml")
    ids = [r.findtext("service_request_id") for r in root.findall("request")]
    assert ids == [three[0].code, three[1].code]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("status=closed", [1]),
        ("status=open", [0]),
        ("service_code=housing", [0]),
        ("service_code=employment&status=closed", [1]),
        ("service_code=employment&status=open", []),
        ("jurisdiction_id=tehran&start_date=2025-01-01T00:00:00Z", [2]),
        ("start_date=2025-01-01T00:00:00%2B03:30", [0, 1, 2]),
        ("start_date=2025-01-01T00:00:00Z&end_date=2026-11-25T00:00:00Z", [1, 2]),
        ("start_date=2025-01-01T00:00:00Z&page_size=2", [0, 1]),
    ],
)
async def test_the_filters_select_the_requests(
    web_client: Client, three: list[CitizenRequest], query: str, expected: list[int]
) -> None:
    items = await _json(web_client, f"/open311/v2/requests.json?{query}")
    assert [i["service_request_id"] for i in items] == [three[n].code for n in expected]
    root = await _xml(web_client, f"/open311/v2/requests.xml?{query}")
    ids = [r.findtext("service_request_id") for r in root.findall("request")]
    assert ids == [three[n].code for n in expected]


async def test_at_most_a_thousand_requests_come_back(web_client: Client, db_pool: Pool) -> None:
    base = await citizen_request(db_pool, created_at=NOW - timedelta(days=2))
    async with db_pool.acquire() as conn:
        await conn.execute(
            """INSERT INTO calls (uniqueid, center_id, caller_raw, started_at)
               SELECT 'bulk.' || n, $1, '+989120000000', $2 FROM generate_series(1, 1005) n""",
            base.center_id, NOW - timedelta(days=3),
        )  # fmt: skip
        await conn.execute(
            """INSERT INTO requests (tracking_code, call_id, center_id, created_at)
               SELECT lpad((5000000000 + c.id)::text, 10, '0'), c.id, $1,
                      $2::timestamptz - c.id * interval '1 second'
               FROM calls c WHERE c.uniqueid LIKE 'bulk.%'""",
            base.center_id, NOW - timedelta(days=1),
        )  # fmt: skip
    items = await _json(web_client, "/open311/v2/requests.json")
    assert len(items) == 1000
    stamps = [datetime.fromisoformat(i["requested_datetime"]) for i in items]
    assert stamps == sorted(stamps, reverse=True)
    assert base.code not in {i["service_request_id"] for i in items}  # the oldest of them
    root = await _xml(web_client, "/open311/v2/requests.xml?page_size=1000")
    assert len(root.findall("request")) == 1000


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/open311/v2/requests.json?status=pending", 400),
        ("/open311/v2/requests.json?start_date=yesterday", 400),
        ("/open311/v2/requests.json?start_date=2026-01-01T00:00:00", 400),  # no offset
        (f"/open311/v2/requests.json?start_date={FEB}&end_date={JAN}", 400),
        ("/open311/v2/requests.json?service_code=Robert%27);DROP", 400),
        ("/open311/v2/requests.json?page_size=1001", 400),
        ("/open311/v2/requests.json?end_date=0001-01-01T00:00:00Z", 400),
        ("/open311/v2/requests.json?start_date=9999-12-31T00:00:00Z", 400),
        (f"/open311/v2/requests.json?start_date={JAN}&end_date=9999-12-31T23:59:59-12:00", 400),
        ("/open311/v2/requests.json?start_date=0001-01-01T00:00:00%2B14:00", 400),
        ("/open311/v2/requests.json?jurisdiction_id=atlantis", 404),
        ("/open311/v2/services.json?jurisdiction_id=atlantis", 404),
        ("/open311/v2/requests/4000000000.json", 404),
        ("/open311/v2/requests/not-a-code.json", 404),
        ("/open311/v2/discovery.json", 404),
    ],
)  # fmt: skip
async def test_errors_use_the_specification_s_format_in_both_formats(
    web_client: Client, three: list[CitizenRequest], path: str, status: int
) -> None:
    [error] = await _json(web_client, path, status)
    assert error["code"] == status
    assert isinstance(error["description"], str)
    assert error["description"]
    xml_path = path.replace(".json", ".xml", 1)
    root = await _xml(web_client, xml_path, status)
    assert root.tag == "errors"
    assert root.findtext("error/code") == str(status)
    assert root.findtext("error/description")


async def test_open311_is_read_only(web_client: Client) -> None:
    response = await web_client.post("/open311/v2/requests.json", data={"service_code": "x"})
    assert response.status in (403, 405)
    response = await web_client.delete("/open311/v2/requests.json")
    assert response.status in (403, 405)


async def test_no_response_carries_a_number_a_name_a_note_or_an_answer(
    web_client: Client, three: list[CitizenRequest]
) -> None:
    paths = ["/open311/v2/services.json", "/open311/v2/services.xml"]
    for fmt in ("json", "xml"):
        paths.append(f"/open311/v2/requests.{fmt}?start_date=2020-01-01T00:00:00Z")
        paths += [f"/open311/v2/requests/{r.code}.{fmt}" for r in three]
    bodies = []
    for path in paths:
        response = await web_client.get(path)
        assert response.status == 200
        bodies.append((path, await response.text()))
    assert all(r.code in "".join(b for _, b in bodies) for r in three)
    for path, body in bodies:
        for secret in PERSONAL:
            assert secret not in body, f"{secret!r} leaked in {path}"
        assert "989" not in body, path
        for word in ("کاظمی", "فرهادپور", "وام مسکن", "پرونده", "پیگیری با"):
            assert word not in body, f"{word!r} leaked in {path}"


@pytest.mark.parametrize(
    "query",
    [
        "",
        "?status=closed",
        "?status=open",
        "?service_code=housing",
        "?service_code=housing&status=open",
        "?jurisdiction_id=hamedan",
        "?start_date=2020-01-01T00:00:00Z",
    ],
)
async def test_every_list_shape_walks_an_index_backwards_never_the_whole_table(
    db_pool: Pool, query: str
) -> None:
    """At a size where a sequential scan would be the planner's choice without 0019's
    indexes, each filter reads an index range newest first and stops at the limit (in
    the custom plan the repository insists on: the next test)."""
    center_id = (await citizen_request(db_pool)).center_id
    async with db_pool.acquire() as conn:
        await conn.execute(
            """INSERT INTO calls (uniqueid, center_id, caller_raw, started_at)
               SELECT 'plan.' || n, $1, '+989120000000', $2::timestamptz - n * interval '1 minute'
               FROM generate_series(1, 30000) n""",
            center_id, NOW,
        )  # fmt: skip
        await conn.execute(
            """INSERT INTO requests (tracking_code, call_id, center_id, created_at, status, topic)
               SELECT lpad((5000000000 + c.id)::text, 10, '0'), c.id, $1, c.started_at,
                      CASE WHEN c.id % 500 = 1 THEN 'assigned' ELSE 'closed' END,
                      CASE WHEN c.id % 500 = 0 THEN 'housing' ELSE 'employment' END
               FROM calls c WHERE c.uniqueid LIKE 'plan.%'""",
            center_id,
        )  # fmt: skip
        if os.environ.get("SAMAD_TEST_DROP_OPEN311_INDEXES"):  # to see the test fail
            for name in ("open311_topic_idx", "open311_closed_idx"):
                await conn.execute(f"DROP INDEX requests_{name}")
        await conn.execute("ANALYZE requests")
        await conn.execute("SET plan_cache_mode = force_custom_plan")
        request = _FakeQuery(query)
        f = request_filter(request, NOW)  # type: ignore[arg-type]
        sql, args = list_query(f, center_id if f.center_code else None)
        # Through the plan cache, as the application's prepared statements run.
        types = ", ".join(_PARAM_TYPES[type(a)] for a in args)
        await conn.execute(f"PREPARE open311_list ({types}) AS {sql}")
        values = ", ".join(_literal(a) for a in args)  # EXECUTE takes no $n parameters
        explain = f"EXPLAIN (ANALYZE, FORMAT JSON) EXECUTE open311_list ({values})"
        plan = json.loads(await conn.fetchval(explain))
        await conn.execute("DEALLOCATE open311_list")
    top = plan[0]["Plan"]
    assert top["Node Type"] == "Limit"
    scans = list(_request_scans(top))
    assert scans, json.dumps(plan)
    assert all(s["Node Type"] != "Seq Scan" for s in scans), json.dumps(plan)
    # Rows of `requests` looked at: what the limit keeps, not the table (30,001 rows).
    read = sum(s["Actual Rows"] + s.get("Rows Removed by Filter", 0) for s in scans)
    assert read <= 1001, json.dumps(plan)


_PARAM_TYPES = {datetime: "timestamptz", str: "text", bool: "boolean", int: "int"}


def _literal(value: object) -> str:
    """A test's own argument as SQL text (dates, topic codes, flags and numbers only)."""
    if isinstance(value, datetime):
        return f"'{value.isoformat()}'"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        assert value.isidentifier()
        return f"'{value}'"
    return str(int(value))  # type: ignore[call-overload]


def _request_scans(node: dict[str, Any]) -> Iterator[dict[str, Any]]:
    if node.get("Relation Name") == "requests" and node.get("Alias") == "r":
        yield node
    for child in node.get("Plans", []):
        yield from _request_scans(child)


class _FakeQuery:
    def __init__(self, query: str) -> None:
        from multidict import MultiDict
        from yarl import URL

        self.query = MultiDict(URL("/x" + query).query)


async def test_the_list_is_planned_for_its_own_values_every_time(
    database_url: str, db_pool: Pool
) -> None:
    """A prepared statement run often gets a generic plan that walks the date index
    through every row of the range; the repository's lists never take one."""
    await citizen_request(db_pool, created_at=NOW - timedelta(days=1))
    pool = await create_pool(database_url, min_size=1, max_size=1)  # one connection
    try:
        repository = Open311Repository(pool)
        f = Open311Filter(NOW - timedelta(days=90), NOW, service_code="housing", closed=False)
        for _ in range(12):
            assert len(await repository.requests(f)) == 1
        async with pool.acquire() as conn:
            plans = await conn.fetchrow(
                """SELECT generic_plans, custom_plans FROM pg_prepared_statements
                   WHERE statement LIKE '%r.topic = $3%'
                     AND statement NOT LIKE '%pg_prepared_statements%'"""
            )
    finally:
        await pool.close()
    assert plans is not None
    assert plans["custom_plans"] == 12
    assert plans["generic_plans"] == 0
