"""The inspector console's JSON API: queues with paging, a case, moves with their
conflicts, visits, and the OpenAPI document that describes them."""

from __future__ import annotations

from openapi_spec_validator import validate

from samad_ivr.domain.lifecycle import Status
from samad_ivr.storage.db import Pool
from samad_ivr.web.security import Role

from .conftest import Client
from .inspector_support import (  # noqa: F401  (fixtures)
    AsRole,
    CaseMaker,
    World,
    as_role_fixture,
    case_fixture,
    lifecycle_fixture,
    version_of,
    web_features_fixture,
    world_fixture,
)


async def _csrf(client: Client) -> dict[str, str]:
    me = await (await client.get("/api/v1/me")).json()
    return {"X-CSRF-Token": me["csrf_token"]}


async def test_a_queue_pages_through_every_request_oldest_deadline_first(
    as_role: AsRole, web_client: Client, world: World, case: CaseMaker
) -> None:
    made = [await case(Status.ESCALATED, assigned_days_ago=d) for d in (11, 14, 12, 13)]
    await as_role(Role.INSPECTOR)
    url = f"/api/v1/inspector/centers/{world.hamedan}/queues/overdue"
    seen: list[int] = []
    cursor = None
    while True:
        query = {"limit": "۳"} | ({"cursor": cursor} if cursor else {})
        body = await (await web_client.get(url, params=query)).json()
        seen += [r["id"] for r in body["requests"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert seen == [made[1], made[3], made[2], made[0]]
    assert body["counts"]["overdue"] == 4
    first = (await (await web_client.get(url)).json())["requests"][0]
    assert first["overdue"] is True
    assert first["days_left"] == -4
    assert first["due_on_jalali"] == "1403-12-07"
    assert first["agency"] == "ادارهٔ کل راه و شهرسازی همدان"


async def test_moves_through_the_api_answer_with_the_case_or_a_json_conflict(
    as_role: AsRole, web_client: Client, case: CaseMaker, db_pool: Pool
) -> None:
    request_id = await case(Status.ANSWERED)
    await as_role(Role.INSPECTOR)
    headers = await _csrf(web_client)
    url = f"/api/v1/inspector/requests/{request_id}"
    got = await (await web_client.get(url)).json()
    assert sorted(got["actions"]) == ["accept", "resolve", "send_back"]
    version = got["version"]
    move = {"action": "send_back", "version": version, "days": 7, "note": "ناقص است"}
    response = await web_client.post(url + "/actions", json=move, headers=headers)
    assert response.status == 200
    after = await response.json()
    assert (after["status"], after["version"]) == ("assigned", version + 1)
    assert after["history"][-1]["action"] == "send_back"
    stale = await web_client.post(url + "/actions", json=move, headers=headers)
    assert stale.status == 409
    error = (await stale.json())["error"]
    assert error["code"] == "stale"
    assert "هم‌زمان" in error["message"]
    refused = {"action": "accept", "version": version + 1}
    conflict = await web_client.post(url + "/actions", json=refused, headers=headers)
    assert conflict.status == 409
    assert (await conflict.json())["error"]["code"] == "transition_refused"
    nonsense = await web_client.post(url + "/actions", json={"action": "x"}, headers=headers)
    assert nonsense.status == 422
    assert await version_of(db_pool, request_id) == version + 1


async def test_a_visit_through_the_api_is_stored_and_shown_in_the_case(
    as_role: AsRole, web_client: Client, world: World, case: CaseMaker
) -> None:
    request_id = await case(Status.REOPENED)
    await as_role(Role.INSPECTOR)
    headers = await _csrf(web_client)
    url = f"/api/v1/inspector/requests/{request_id}"
    visit = {"agency_id": world.roads_h, "visited_on": "۱۴۰۳/۱۲/۱۰", "findings": "بررسی شد"}
    response = await web_client.post(url + "/visits", json=visit, headers=headers)
    assert response.status == 201
    visits = (await (await web_client.get(url)).json())["visits"]
    assert [(v["visited_on_jalali"], v["findings"]) for v in visits] == [("1403-12-10", "بررسی شد")]
    future = {**visit, "visited_on": "1404-01-20"}
    refused = await web_client.post(url + "/visits", json=future, headers=headers)
    assert refused.status == 422
    assert "آینده" in (await refused.json())["error"]["message"]


async def test_the_openapi_document_describes_the_inspector_api(web_client: Client) -> None:
    document = await (await web_client.get("/api/openapi.json")).json()
    validate(document)
    paths = document["paths"]
    assert "/inspector/centers/{center_id}/queues/{queue}" in paths
    assert paths["/inspector/requests/{request_id}/actions"]["post"]["x-roles"] == [
        "inspector", "province_admin",
    ]  # fmt: skip
