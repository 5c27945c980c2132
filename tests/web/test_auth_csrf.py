"""CSRF: forms and JSON writes need the signed token; exempt prefixes do not."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest

from samad_ivr.storage.accounts import Role
from samad_ivr.web.app import Feature

from .conftest import Client, MakeUser, do_login, login_form_token
from .test_auth_login import sample_pages


@pytest.fixture
def web_features() -> Sequence[Feature]:
    return (sample_pages,)


async def test_post_without_csrf_token_is_refused_with_a_persian_403(web_client: Client) -> None:
    await web_client.get("/login")  # has a CSRF cookie, but sends no token
    response = await web_client.post("/public/subscribe", data={"name": "x"})
    assert response.status == 403
    assert "توکن امنیتی" in await response.text()


async def test_post_with_a_wrong_csrf_token_is_refused(web_client: Client) -> None:
    await login_form_token(web_client)
    response = await web_client.post("/public/subscribe", data={"name": "x", "_csrf": "0" * 64})
    assert response.status == 403


async def test_anonymous_visitor_can_post_a_public_form_with_its_csrf_token(
    web_client: Client,
) -> None:
    token = await login_form_token(web_client)
    response = await web_client.post("/public/subscribe", data={"name": "زهرا", "_csrf": token})
    assert response.status == 200
    assert await response.text() == "got زهرا"


async def test_csrf_token_in_a_header_works_for_json_clients(
    web_client: Client, make_user: MakeUser, csrf_token_of: Any
) -> None:
    await do_login(web_client, await make_user(Role.SUPERUSER))
    token = await csrf_token_of(web_client)
    response = await web_client.post(
        "/public/subscribe", data={"name": "x"}, headers={"X-CSRF-Token": token}
    )
    assert response.status == 200


async def test_a_token_from_before_login_stops_working_after_login(
    web_client: Client, make_user: MakeUser
) -> None:
    anonymous_token = await login_form_token(web_client)
    await do_login(web_client, await make_user(Role.SUPERUSER))
    response = await web_client.post(
        "/public/subscribe", data={"name": "x", "_csrf": anonymous_token}
    )
    assert response.status == 403


async def test_csrf_exempt_prefix_accepts_machine_callbacks_without_a_token(
    web_client: Client,
) -> None:
    response = await web_client.post("/callbacks/sms", data={"name": "dlr"})
    assert response.status == 200
