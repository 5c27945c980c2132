"""Logging in and out, throttling, cookie flags, CSRF and anonymous visitors."""

from __future__ import annotations

import re
from collections.abc import Sequence
from http.cookies import SimpleCookie
from typing import Any

import pytest
from aiohttp import web
from yarl import URL

from samad_ivr.storage.accounts import Role
from samad_ivr.storage.db import Pool
from samad_ivr.web.app import Feature
from samad_ivr.web.config import WebSettings
from samad_ivr.web.csrf import csrf_exempt
from samad_ivr.web.security import require_user

from .conftest import DEFAULT_PASSWORD, Client, MakeUser, do_login, login_form_token


async def protected_page(request: web.Request) -> web.Response:
    user = require_user(request, Role.SUPERUSER, Role.PROVINCE_ADMIN)
    return web.Response(text=f"سلام {user.username}")


async def echo_form(request: web.Request) -> web.Response:
    form = await request.post()
    return web.Response(text=f"got {form.get('name')}")


def sample_pages(app: web.Application) -> None:
    app.router.add_get("/protected", protected_page)
    app.router.add_post("/public/subscribe", echo_form)
    app.router.add_post("/callbacks/sms", echo_form)
    csrf_exempt(app, "/callbacks/")


@pytest.fixture
def web_features() -> Sequence[Feature]:
    return (sample_pages,)


def set_cookies(response: Any) -> dict[str, Any]:
    jar: SimpleCookie = SimpleCookie()
    for header in response.headers.getall("Set-Cookie", []):
        jar.load(header)
    return {name: morsel for name, morsel in jar.items()}


async def test_login_with_right_password_opens_a_session_and_me_shows_the_user(
    web_client: Client, make_user: MakeUser
) -> None:
    user = await make_user(Role.SUPERUSER)
    response = await do_login(web_client, user)
    assert response.status == 303
    assert response.headers["Location"] == "/"
    me = await web_client.get("/api/v1/me")
    assert me.status == 200
    body = await me.json()
    assert body["username"] == user.username
    assert body["role"] == "superuser"
    assert body["national"] is True


async def test_session_cookie_is_httponly_samesite_lax_and_not_secure_by_default(
    web_client: Client, make_user: MakeUser
) -> None:
    response = await do_login(web_client, await make_user(Role.SUPERUSER))
    cookie = set_cookies(response)["samad_session"]
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"
    assert not cookie["secure"]
    assert cookie["path"] == "/"
    assert int(cookie["max-age"]) == 12 * 3600


class TestSecureCookies:
    @pytest.fixture
    def web_settings(self) -> WebSettings:
        return WebSettings.from_env({"SAMAD_WEB_SECRET": "s" * 40, "SAMAD_WEB_SECURE_COOKIES": "1"})

    async def test_session_and_csrf_cookies_are_secure_when_configured(
        self, web_client: Client, make_user: MakeUser
    ) -> None:
        form = await web_client.get("/login")
        csrf_cookie = set_cookies(form)["samad_csrf"]
        assert csrf_cookie["secure"] is True
        assert csrf_cookie["httponly"] is True
        user = await make_user(Role.SUPERUSER)
        # The test server speaks plain HTTP, so the client keeps Secure cookies to itself;
        # send the CSRF cookie back by hand.
        match = re.search(r'name="_csrf" value="([0-9a-f]{64})"', await form.text())
        assert match
        token = match.group(1)
        cookies = {"samad_csrf": csrf_cookie.value}
        response = await web_client.post(
            "/login",
            data={"username": user.username, "password": DEFAULT_PASSWORD, "_csrf": token},
            cookies=cookies,
            allow_redirects=False,
        )
        assert response.status == 303
        assert set_cookies(response)["samad_session"]["secure"] is True


async def test_wrong_password_shows_the_form_again_with_a_persian_error_and_no_session(
    web_client: Client, make_user: MakeUser
) -> None:
    user = await make_user(Role.SUPERUSER)
    response = await do_login(web_client, user, password="not the password")
    assert response.status == 200
    assert "نام کاربری یا گذرواژه نادرست است" in await response.text()
    assert "samad_session" not in set_cookies(response)
    assert (await web_client.get("/api/v1/me")).status == 401


async def test_unknown_username_gets_the_same_answer_as_a_wrong_password(
    web_client: Client, make_user: MakeUser
) -> None:
    token = await login_form_token(web_client)
    response = await web_client.post(
        "/login", data={"username": "nobody", "password": "x", "_csrf": token}
    )
    assert response.status == 200
    assert "نام کاربری یا گذرواژه نادرست است" in await response.text()


async def test_username_typed_with_persian_digits_and_capitals_still_logs_in(
    web_client: Client, make_user: MakeUser
) -> None:
    user = await make_user(Role.SUPERUSER, username="admin42")
    token = await login_form_token(web_client)
    response = await web_client.post(
        "/login",
        data={"username": " Admin۴۲ ", "password": DEFAULT_PASSWORD, "_csrf": token},
        allow_redirects=False,
    )
    assert response.status == 303
    assert (await (await web_client.get("/api/v1/me")).json())["id"] == user.id


async def test_logout_deletes_the_session_on_the_server(
    web_client: Client, make_user: MakeUser, db_pool: Pool, csrf_token_of: Any
) -> None:
    await do_login(web_client, await make_user(Role.SUPERUSER))
    stolen = web_client.session.cookie_jar.filter_cookies(web_client.make_url("/"))
    session_value = stolen["samad_session"].value
    token = await csrf_token_of(web_client)
    response = await web_client.post("/logout", data={"_csrf": token}, allow_redirects=False)
    assert response.status == 303
    assert response.headers["Location"] == "/login"
    assert await db_pool.fetchval("SELECT count(*) FROM web_sessions") == 0
    # Even a copy of the old cookie no longer works.
    replay = await web_client.get("/api/v1/me", cookies={"samad_session": session_value})
    assert replay.status == 401


async def test_login_redirects_to_a_local_next_page_but_never_to_another_host(
    web_client: Client, make_user: MakeUser
) -> None:
    user = await make_user(Role.SUPERUSER)
    for next_path, expected in (("/protected?x=1", "/protected?x=1"), ("//evil.example", "/")):
        token = await login_form_token(web_client)
        form = {"username": user.username, "password": DEFAULT_PASSWORD, "_csrf": token}
        response = await web_client.post(
            "/login", data={**form, "next": next_path}, allow_redirects=False
        )
        assert response.headers["Location"] == expected


async def test_five_failures_for_a_username_lock_it_with_429_even_for_the_right_password(
    web_client: Client, make_user: MakeUser, db_pool: Pool
) -> None:
    user = await make_user(Role.SUPERUSER)
    for _ in range(5):
        assert (await do_login(web_client, user, password="wrong")).status == 200
    response = await do_login(web_client, user)
    assert response.status == 429
    assert "تعداد تلاش‌های ناموفق ورود بیش از حد مجاز است" in await response.text()
    assert "۱۵ دقیقه" in await response.text()
    outcomes = await db_pool.fetch(
        "SELECT outcome FROM login_attempts WHERE username = $1 ORDER BY id", user.username
    )
    assert [r["outcome"] for r in outcomes] == ["failure"] * 5 + ["throttled"]


async def test_failures_from_one_address_lock_that_address_for_every_username(
    web_client: Client, make_user: MakeUser
) -> None:
    victims = [await make_user(Role.SUPERUSER) for _ in range(5)]
    for victim in victims:
        assert (await do_login(web_client, victim, password="wrong")).status == 200
    fresh = await make_user(Role.SUPERUSER)
    assert (await do_login(web_client, fresh)).status == 429


async def test_a_success_before_the_limit_resets_the_username_count(
    web_client: Client, make_user: MakeUser, db_pool: Pool
) -> None:
    user = await make_user(Role.SUPERUSER)
    for _ in range(4):
        await do_login(web_client, user, password="wrong")
    assert (await do_login(web_client, user)).status == 303
    # Address failures still count, so reset them to look at the username alone.
    await db_pool.execute("UPDATE login_attempts SET client_ip = 'elsewhere'")
    for _ in range(4):
        await do_login(web_client, user, password="wrong")
    assert (await do_login(web_client, user)).status == 303


async def test_old_failures_outside_the_window_do_not_count(
    web_client: Client, make_user: MakeUser, db_pool: Pool
) -> None:
    user = await make_user(Role.SUPERUSER)
    for _ in range(5):
        await do_login(web_client, user, password="wrong")
    await db_pool.execute("UPDATE login_attempts SET attempted_at = now() - interval '16 minutes'")
    assert (await do_login(web_client, user)).status == 303


async def test_anonymous_browser_is_sent_to_login_with_the_page_to_come_back_to(
    web_client: Client,
) -> None:
    response = await web_client.get("/protected?tab=2", allow_redirects=False)
    assert response.status == 302
    location = URL(response.headers["Location"])
    assert location.path == "/login"
    assert location.query["next"] == "/protected?tab=2"


async def test_logged_in_user_with_the_wrong_role_gets_a_persian_403_page(
    web_client: Client, make_user: MakeUser, login: Any, center_ids: dict[str, int]
) -> None:
    await login(web_client, await make_user(Role.OFFICIAL, center_ids["hamedan"]))
    response = await web_client.get("/protected")
    assert response.status == 403
    text = await response.text()
    assert 'dir="rtl"' in text
    assert "اجازهٔ دسترسی" in text


async def test_login_page_is_persian_rtl_and_has_the_csrf_field(web_client: Client) -> None:
    response = await web_client.get("/login")
    text = await response.text()
    assert response.status == 200
    assert '<html lang="fa" dir="rtl">' in text
    assert 'name="_csrf"' in text
