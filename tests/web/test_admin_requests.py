"""The province admin's assignment queue and the assign API: order, pages, conflicts."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from lifecycle.factories import make_request

from samad_ivr.domain.deadlines import DeadlinePolicy
from samad_ivr.domain.lifecycle import Action, Status
from samad_ivr.storage.db import Pool
from samad_ivr.storage.lifecycle import Actor, RequestLifecycle
from samad_ivr.storage.request_queue import QueueKind, RequestQueue
from samad_ivr.web.security import Role

from .conftest import Client
from .test_admin_support import (  # noqa: F401  (fixtures)
    AdminClient,
    World,
    as_role_fixture,
    settings_fixture,
    web_features_fixture,
    world_fixture,
)

VERSION_RE = re.compile(r'name="version" value="(\d+)"')


def _lifecycle(db_pool: Pool) -> RequestLifecycle:
    return RequestLifecycle(db_pool, DeadlinePolicy())


async def _assign_form(
    client: Client, world: World, request_id: int, **fields: str
) -> tuple[int, str]:
    """Post the request page's assign form (with the version the page shows, unless given)."""
    page = f"/admin/centers/{world.hamedan}/requests/{request_id}"
    token = (await (await client.get("/api/v1/me")).json())["csrf_token"]
    shown = VERSION_RE.search(await (await client.get(page)).text())
    version = shown[1] if shown else ""
    form = {"agency_id": str(world.agency_h), "topic": "housing", "note": "", "version": version,
            **fields}  # fmt: skip
    response = await client.post(
        page + "/assign", data={**form, "_csrf": token}, allow_redirects=False
    )
    return response.status, await response.text()


async def test_the_queue_lists_unassigned_requests_oldest_first_one_page_at_a_time(
    db_pool: Pool, world: World
) -> None:
    start = datetime(2025, 5, 1, 6, 0, tzinfo=UTC)
    ids = [
        await make_request(db_pool, world.hamedan, started_at=start + timedelta(minutes=i))
        for i in range(5)
    ]
    await make_request(db_pool, world.tehran)
    await _lifecycle(db_pool).assign(
        ids[2], agency_id=world.agency_h, topic="family", actor=Actor.named("test"),
        now=datetime.now(UTC),
    )  # fmt: skip
    queue = RequestQueue(db_pool)
    first = await queue.page(world.hamedan, QueueKind.REGISTERED, limit=2)
    assert [r.id for r in first.rows] == [ids[0], ids[1]]
    assert first.total == 4
    assert first.next_cursor is not None
    second = await queue.page(world.hamedan, QueueKind.REGISTERED, first.next_cursor, limit=2)
    assert [r.id for r in second.rows] == [ids[3], ids[4]]
    assert second.next_cursor is None  # exactly two were left: no empty third page
    assigned = await queue.page(world.hamedan, QueueKind.ASSIGNED)
    assert [(r.id, r.topic_name) for r in assigned.rows] == [(ids[2], "ازدواج و فرزندآوری")]


async def test_a_province_admin_assigns_from_the_queue_and_reassigns_from_the_request(
    as_role: AdminClient, db_pool: Pool, world: World
) -> None:
    request_id = await make_request(db_pool, world.hamedan, summary="بیکاری جوانان")
    client = await as_role(Role.PROVINCE_ADMIN)
    queue = await client.get(f"/admin/centers/{world.hamedan}/requests")
    text = await queue.text()
    assert queue.status == 200
    assert "بیکاری جوانان" in text
    assert f'action="/admin/centers/{world.hamedan}/requests/{request_id}/assign"' in text
    status, _ = await _assign_form(client, world, request_id, back="queue", note="پیگیری فوری")
    assert status == 303
    state = await _lifecycle(db_pool).get(request_id)
    assert state is not None
    assert (state.status, state.agency_id, state.topic) == (
        Status.ASSIGNED,
        world.agency_h,
        "housing",
    )
    history = await _lifecycle(db_pool).history(request_id)
    assert history[-1].note == "پیگیری فوری"
    # Gone from the queue, listed as assigned with a reassign link.
    assert (
        "بیکاری جوانان"
        not in await (await client.get(f"/admin/centers/{world.hamedan}/requests")).text()
    )
    assigned = await (
        await client.get(f"/admin/centers/{world.hamedan}/requests?status=assigned")
    ).text()
    assert "ارجاع دوباره" in assigned
    status, _ = await _assign_form(client, world, request_id, topic="employment")
    assert status == 303
    assert [h.action for h in await _lifecycle(db_pool).history(request_id)] == [
        "register", "assign", "assign",
    ]  # fmt: skip


async def test_a_stale_form_and_a_refused_move_are_409_with_the_reason(
    as_role: AdminClient, db_pool: Pool, world: World
) -> None:
    request_id = await make_request(db_pool, world.hamedan)
    client = await as_role(Role.PROVINCE_ADMIN)
    page = await (await client.get(f"/admin/centers/{world.hamedan}/requests/{request_id}")).text()
    match = VERSION_RE.search(page)
    assert match is not None
    # Somebody else assigns meanwhile; the page's version is now stale.
    await _lifecycle(db_pool).assign(
        request_id, agency_id=world.agency_h, topic="family", actor=Actor.named("other"),
        now=datetime.now(UTC),
    )  # fmt: skip
    status, text = await _assign_form(client, world, request_id, version=match[1])
    assert status == 409
    assert "هم‌زمان توسط کاربر دیگری تغییر کرده است" in text
    state = await _lifecycle(db_pool).get(request_id)
    assert state is not None
    assert state.topic == "family"
    await _lifecycle(db_pool).act(
        request_id, Action.RESOLVE, actor=Actor.named("inspector_test"), now=datetime.now(UTC)
    )
    status, text = await _assign_form(client, world, request_id, version=str(state.version + 1))
    assert status == 409
    assert "ممکن نیست" in text


async def test_another_provinces_agency_or_a_retired_topic_is_422_and_changes_nothing(
    as_role: AdminClient, db_pool: Pool, world: World
) -> None:
    request_id = await make_request(db_pool, world.hamedan)
    agency_t = await db_pool.fetchval("SELECT id FROM agencies WHERE center_id = $1", world.tehran)
    await db_pool.execute(
        "UPDATE topics SET active = false WHERE center_id = $1 AND code = 'industry'",
        world.hamedan,
    )
    client = await as_role(Role.PROVINCE_ADMIN)
    for fields in ({"agency_id": str(agency_t)}, {"topic": "industry"}, {"agency_id": "x"}):
        status, text = await _assign_form(client, world, request_id, version="0", **fields)
        assert status == 422, (fields, text)
    state = await _lifecycle(db_pool).get(request_id)
    assert state is not None
    assert state.status is Status.REGISTERED
    # Another province's request is not found on this province's pages.
    other = await make_request(db_pool, world.tehran)
    response = await client.get(f"/admin/centers/{world.hamedan}/requests/{other}")
    assert response.status == 404


async def test_a_tracking_code_jumps_to_its_request_and_a_forged_cursor_is_harmless(
    as_role: AdminClient, db_pool: Pool, world: World
) -> None:
    request_id = await make_request(db_pool, world.hamedan)
    code = await db_pool.fetchval("SELECT tracking_code FROM requests WHERE id = $1", request_id)
    client = await as_role(Role.PROVINCE_ADMIN)
    persian = str(code).translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹"))
    found = await client.get(
        f"/admin/centers/{world.hamedan}/requests", params={"code": persian},
        allow_redirects=False,
    )  # fmt: skip
    assert found.status == 303
    assert found.headers["Location"] == f"/admin/centers/{world.hamedan}/requests/{request_id}"
    missing = await client.get(
        f"/admin/centers/{world.hamedan}/requests", params={"code": "0000000000"}
    )
    assert missing.status == 404
    for cursor in ("abc", "99999999999999999999.1", "9223372036854775807.1"):
        response = await client.get(
            f"/admin/centers/{world.hamedan}/requests", params={"cursor": cursor}
        )
        assert response.status == 200, cursor


async def test_the_api_assigns_and_answers_409_and_422_in_json(
    as_role: AdminClient, db_pool: Pool, world: World
) -> None:
    request_id = await make_request(db_pool, world.hamedan)
    client = await as_role(Role.INSPECTOR)
    me = await (await client.get("/api/v1/me")).json()
    headers = {"X-CSRF-Token": me["csrf_token"]}
    url = f"/api/v1/requests/{request_id}/assign"
    body = {"agency_id": world.agency_h, "topic": "bank_loans", "note": "وام تولید", "version": 0}
    ok = await client.post(url, json=body, headers=headers)
    assert ok.status == 200, await ok.text()
    data = await ok.json()
    assert (data["status"], data["topic"], data["version"]) == ("assigned", "bank_loans", 1)
    assert data["due_on"] is not None
    assert data["due_on_jalali"] is not None
    stale = await client.post(url, json=body, headers=headers)
    assert stale.status == 409
    assert (await stale.json())["error"]["code"] == "stale_request"
    agency_t = await db_pool.fetchval("SELECT id FROM agencies WHERE center_id = $1", world.tehran)
    foreign = await client.post(
        url, json={"agency_id": agency_t, "topic": "housing"}, headers=headers
    )
    assert foreign.status == 422
    assert (await foreign.json())["error"]["code"] == "invalid_assignment"
    for bad in ({"agency_id": "1", "topic": "housing"}, {"agency_id": 1, "topic": "<b>"},
                {"agency_id": 1, "topic": "housing", "extra": 1}):  # fmt: skip
        response = await client.post(url, json=bad, headers=headers)
        assert response.status == 422, bad
    missing = await client.post("/api/v1/requests/999999999/assign", json=body, headers=headers)
    assert missing.status == 404
    spec = await (await client.get("/api/openapi.json")).json()
    operation = spec["paths"]["/requests/{request_id}/assign"]["post"]
    assert {"200", "404", "409", "422"} <= set(operation["responses"])
