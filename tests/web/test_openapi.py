"""The OpenAPI document and request validation under /api/v1."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest
from aiohttp import web
from openapi_spec_validator import validate

from samad_ivr.storage.accounts import Role
from samad_ivr.web.app import Feature
from samad_ivr.web.openapi import ApiError, api_body, api_query, api_route

from .conftest import Client, MakeUser

SLOT_SCHEMA = {
    "type": "object",
    "required": ["official_id", "starts_at"],
    "additionalProperties": False,
    "properties": {
        "official_id": {"type": "integer", "minimum": 1},
        "starts_at": {"type": "string", "format": "date-time"},
        "note": {"type": "string", "maxLength": 10},
    },
}
SEARCH_SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "page": {"type": "integer", "minimum": 1},
        "open": {"type": "boolean"},
        "tag": {"type": "array", "items": {"type": "string"}},
    },
}


async def create_slot(request: web.Request) -> web.Response:
    return web.json_response(api_body(request), status=201)


async def search(request: web.Request) -> web.Response:
    return web.json_response(api_query(request))


async def missing_thing(request: web.Request) -> web.Response:
    raise ApiError(404, "not_found", "این مورد پیدا نشد.")


async def broken(request: web.Request) -> web.Response:
    raise RuntimeError("boom")


def sample_api(app: web.Application) -> None:
    roles = (Role.SUPERUSER,)
    api_route(
        app,
        "POST",
        "/slots",
        create_slot,
        summary="Add a slot",
        request_schema=SLOT_SCHEMA,
        response_schema=SLOT_SCHEMA,
        roles=roles,
        status=201,
    )
    api_route(app, "GET", "/search", search, summary="Search", query_schema=SEARCH_SCHEMA)
    api_route(app, "GET", r"/things/{thing_id:\d+}", missing_thing, summary="A thing")
    api_route(app, "GET", "/broken", broken, summary="Always fails")  # fmt: skip


@pytest.fixture
def web_features() -> Sequence[Feature]:
    return (sample_api,)


@pytest.fixture
async def superuser_client(
    web_client: Client, make_user: MakeUser, login: Any, csrf_token_of: Any
) -> Client:
    await login(web_client, await make_user(Role.SUPERUSER))
    web_client.session.headers["X-CSRF-Token"] = await csrf_token_of(web_client)
    return web_client


async def test_openapi_document_is_a_valid_openapi_3_1_description(web_client: Client) -> None:
    response = await web_client.get("/api/openapi.json")
    assert response.status == 200
    doc = await response.json()
    validate(doc)
    assert doc["openapi"] == "3.1.0"
    assert doc["servers"] == [{"url": "/api/v1"}]
    assert list(doc["paths"]) == ["/broken", "/me", "/search", "/slots", "/things/{thing_id}"]


async def test_openapi_document_describes_schemas_roles_parameters_and_errors(
    web_client: Client,
) -> None:
    doc = await (await web_client.get("/api/openapi.json")).json()
    post = doc["paths"]["/slots"]["post"]
    assert post["requestBody"]["content"]["application/json"]["schema"] == SLOT_SCHEMA
    assert post["x-roles"] == ["superuser"]
    assert post["security"] == [{"session": [], "csrf": []}]
    assert {"201", "400", "401", "403", "422"} <= set(post["responses"])
    thing = doc["paths"]["/things/{thing_id}"]["get"]
    # A bigserial id: larger values name nothing and would fail in the driver.
    assert thing["parameters"][0] == {
        "name": "thing_id", "in": "path", "required": True,
        "schema": {"type": "integer", "minimum": 0, "maximum": 2**63 - 1},
    }  # fmt: skip
    assert "404" in thing["responses"]
    me = doc["paths"]["/me"]["get"]
    assert me["operationId"] == "me"
    assert set(me["x-roles"]) == {r.value for r in Role}


async def test_body_failing_the_schema_is_422_with_every_problem_listed(
    superuser_client: Client,
) -> None:
    response = await superuser_client.post(
        "/api/v1/slots", json={"official_id": 0, "starts_at": "tomorrow", "extra": 1}
    )
    assert response.status == 422
    error = (await response.json())["error"]
    assert error["code"] == "validation_failed"
    assert "معتبر نیستند" in error["message"]
    locations = {d["location"] for d in error["details"]}
    assert locations == {"body", "body.official_id", "body.starts_at"}


async def test_valid_body_reaches_the_handler(superuser_client: Client) -> None:
    body = {"official_id": 3, "starts_at": "2026-03-21T09:00:00+03:30"}
    response = await superuser_client.post("/api/v1/slots", json=body)
    assert response.status == 201
    assert await response.json() == body


async def test_malformed_json_is_400_and_wrong_content_type_is_415(
    superuser_client: Client,
) -> None:
    bad = await superuser_client.post(
        "/api/v1/slots", data="{not json", headers={"Content-Type": "application/json"}
    )
    assert bad.status == 400
    assert (await bad.json())["error"]["code"] == "bad_request"
    form = await superuser_client.post("/api/v1/slots", data={"official_id": "1"})
    assert form.status == 415


async def test_query_parameters_are_coerced_to_the_schema_types_with_persian_digits(
    superuser_client: Client,
) -> None:
    response = await superuser_client.get(
        "/api/v1/search", params=[("page", "۱۲"), ("open", "true"), ("tag", "a"), ("tag", "b")]
    )
    assert response.status == 200
    assert await response.json() == {"page": 12, "open": True, "tag": ["a", "b"]}


async def test_bad_or_unknown_query_parameters_are_422(superuser_client: Client) -> None:
    bad = await superuser_client.get("/api/v1/search", params={"page": "zero"})
    assert bad.status == 422
    assert (await bad.json())["error"]["details"][0]["location"] == "query.page"
    unknown = await superuser_client.get("/api/v1/me", params={"debug": "1"})
    assert unknown.status == 422


async def test_unknown_api_path_and_wrong_method_are_json_errors(
    superuser_client: Client,
) -> None:
    missing = await superuser_client.get("/api/v1/nothing-here")
    assert missing.status == 404
    assert (await missing.json())["error"]["code"] == "not_found"
    wrong = await superuser_client.delete("/api/v1/me")
    assert wrong.status == 405
    assert (await wrong.json())["error"]["code"] == "method_not_allowed"


async def test_handler_api_error_and_crash_become_json_errors(superuser_client: Client) -> None:
    missing = await superuser_client.get("/api/v1/things/7")
    assert missing.status == 404
    assert (await missing.json())["error"]["message"] == "این مورد پیدا نشد."
    crash = await superuser_client.get("/api/v1/broken")
    assert crash.status == 500
    assert (await crash.json())["error"]["code"] == "internal"


async def test_registering_a_route_twice_or_with_a_bad_schema_fails_at_start() -> None:
    app = web.Application()
    api_route(app, "GET", "/x", search, summary="x")
    with pytest.raises(ValueError, match="twice"):
        api_route(app, "GET", "/x", search, summary="x again", operation_id="other")
    with pytest.raises(ValueError, match="object schema"):
        api_route(app, "POST", "/y", search, summary="y", request_schema={"type": "array"})
    with pytest.raises(ValueError, match="below /api/v1"):
        api_route(app, "GET", "/api/v1/z", search, summary="z")
