"""Roles and provinces: who may call what, for /api/v1/me and sample endpoints."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest
from aiohttp import web

from samad_ivr.storage.accounts import NATIONAL_ROLES, Role, User
from samad_ivr.web.app import Feature
from samad_ivr.web.openapi import api_body, api_query, api_route

from .conftest import Client, MakeUser

CENTER_READERS = (Role.SUPERUSER, Role.PROVINCE_ADMIN, Role.INSPECTOR, Role.NATIONAL_LISTENER)
CENTER_WRITERS = (Role.SUPERUSER, Role.PROVINCE_ADMIN)


async def center_stats(request: web.Request) -> web.Response:
    return web.json_response({"center_id": int(request.match_info["center_id"])})


async def add_note(request: web.Request) -> web.Response:
    return web.json_response({"saved": api_body(request)["text"]}, status=201)


async def report(request: web.Request) -> web.Response:
    return web.json_response(api_query(request))


def sample_api(app: web.Application) -> None:
    api_route(
        app,
        "GET",
        r"/centers/{center_id:\d+}/stats",
        center_stats,
        summary="Center statistics",
        roles=CENTER_READERS,
    )
    api_route(
        app,
        "POST",
        r"/centers/{center_id:\d+}/notes",
        add_note,
        summary="Add a note",
        roles=CENTER_WRITERS,
        status=201,
        request_schema={
            "type": "object",
            "required": ["text"],
            "additionalProperties": False,
            "properties": {"text": {"type": "string", "minLength": 1, "maxLength": 50}},
        },
    )
    api_route(
        app, "GET", "/reports", report, summary="A report", roles=tuple(Role),
        query_schema={
            "type": "object", "required": ["center_id"], "additionalProperties": False,
            "properties": {"center_id": {"type": "integer", "minimum": 1}},
        },
    )  # fmt: skip


@pytest.fixture
def web_features() -> Sequence[Feature]:
    return (sample_api,)


async def user_for(role: Role, make_user: MakeUser, center_ids: dict[str, int]) -> User:
    return await make_user(role, None if role in NATIONAL_ROLES else center_ids["hamedan"])


async def test_anonymous_api_call_is_a_401_json_error(web_client: Client) -> None:
    response = await web_client.get("/api/v1/me")
    assert response.status == 401
    assert response.content_type == "application/json"
    error = (await response.json())["error"]
    assert error["code"] == "unauthenticated"
    assert "وارد" in error["message"]


@pytest.mark.parametrize("role", list(Role))
async def test_every_role_reads_its_own_profile_with_its_center(
    role: Role, web_client: Client, make_user: MakeUser, login: Any, center_ids: dict[str, int]
) -> None:
    user = await login(web_client, await user_for(role, make_user, center_ids))
    body = await (await web_client.get("/api/v1/me")).json()
    assert body["role"] == role.value
    assert body["center_id"] == user.center_id
    assert body["national"] is (role in NATIONAL_ROLES)


@pytest.mark.parametrize("role", list(Role))
async def test_center_stats_follow_the_role_matrix_for_the_own_center(
    role: Role, web_client: Client, make_user: MakeUser, login: Any, center_ids: dict[str, int]
) -> None:
    await login(web_client, await user_for(role, make_user, center_ids))
    response = await web_client.get(f"/api/v1/centers/{center_ids['hamedan']}/stats")
    if role in CENTER_READERS:
        assert response.status == 200
    else:
        assert response.status == 403
        assert (await response.json())["error"]["code"] == "forbidden_role"


@pytest.mark.parametrize("role", CENTER_READERS)
async def test_only_national_roles_see_another_province(
    role: Role, web_client: Client, make_user: MakeUser, login: Any, center_ids: dict[str, int]
) -> None:
    await login(web_client, await user_for(role, make_user, center_ids))
    response = await web_client.get(f"/api/v1/centers/{center_ids['tehran']}/stats")
    if role in NATIONAL_ROLES:
        assert response.status == 200
    else:
        assert response.status == 403
        error = (await response.json())["error"]
        assert error["code"] == "forbidden_center"
        assert "استان" in error["message"]


async def test_a_center_id_in_the_query_is_checked_against_the_users_province(
    web_client: Client, make_user: MakeUser, login: Any, center_ids: dict[str, int]
) -> None:
    await login(web_client, await make_user(Role.OFFICIAL, center_ids["hamedan"]))
    own = await web_client.get("/api/v1/reports", params={"center_id": center_ids["hamedan"]})
    assert own.status == 200
    assert await own.json() == {"center_id": center_ids["hamedan"]}
    other = await web_client.get("/api/v1/reports", params={"center_id": center_ids["tehran"]})
    assert other.status == 403


async def test_province_admin_writes_in_own_province_with_csrf_header(
    web_client: Client,
    make_user: MakeUser,
    login: Any,
    center_ids: dict[str, int],
    csrf_token_of: Any,
) -> None:
    await login(web_client, await make_user(Role.PROVINCE_ADMIN, center_ids["hamedan"]))
    headers = {"X-CSRF-Token": await csrf_token_of(web_client)}
    own = await web_client.post(
        f"/api/v1/centers/{center_ids['hamedan']}/notes", json={"text": "سلام"}, headers=headers
    )
    assert own.status == 201
    assert await own.json() == {"saved": "سلام"}
    other = await web_client.post(
        f"/api/v1/centers/{center_ids['tehran']}/notes", json={"text": "سلام"}, headers=headers
    )
    assert other.status == 403


async def test_api_write_without_csrf_token_is_a_403_json_error(
    web_client: Client, make_user: MakeUser, login: Any, center_ids: dict[str, int]
) -> None:
    await login(web_client, await make_user(Role.SUPERUSER))
    response = await web_client.post(
        f"/api/v1/centers/{center_ids['hamedan']}/notes", json={"text": "x"}
    )
    assert response.status == 403
    assert (await response.json())["error"]["code"] == "csrf_failed"


async def test_user_sees_center_only_for_own_center_unless_national() -> None:
    local = User(1, "a", "", Role.INSPECTOR, center_id=3, official_id=None, agency_id=None)
    national = User(2, "b", "", Role.NATIONAL_LISTENER, None, None, None)
    assert local.sees_center(3)
    assert not local.sees_center(4)
    assert national.sees_center(3)
    assert national.sees_center(4)
