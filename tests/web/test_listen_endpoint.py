"""/national/listen-endpoint: who may set the phone a live listen-in rings, what is
accepted, and that forms without a valid CSRF token change nothing."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest

from samad_ivr.settings import Settings
from samad_ivr.storage.accounts import Role, User
from samad_ivr.storage.db import Pool
from samad_ivr.storage.listen_audit import ListenAuditRepository
from samad_ivr.web.app import Feature
from samad_ivr.web.national.listen_endpoint import INVALID
from samad_ivr.web.national.routes import national_feature

PAGE = "/national/listen-endpoint"
# Empty, no technology, an unknown one, spaces, or anything that could smuggle options,
# a second channel or an AMI header into the Originate; and too long.
MALFORMED = [
    "",
    "listener-1",
    "DAHDI/1",
    "PJSIP/",
    "PJSIP/listener 1",
    "PJSIP/listener-1,qBw",
    "Local/spy@samad-listen/n,B",
    "PJSIP/a&PJSIP/b",
    "PJSIP/x\r\nAction: Originate",
    "PJSIP/" + "x" * 120,
]


@pytest.fixture
def settings(database_url: str) -> Settings:
    # The listeners' own phones (issue 15, item 4); the allow-list itself is tested in
    # test_listen_allow_list.py.
    allow = "PJSIP/listener-*,Local/1001@samad-listeners,PJSIP/1001,SIP/hamedan-admin,PJSIP/mine"
    return Settings.from_env({
        "SAMAD_DATABASE_URL": database_url, "SAMAD_WEB_BIND": "127.0.0.1:0",
        "SAMAD_LISTEN_ENDPOINTS": allow,
    })  # fmt: skip


@pytest.fixture
def web_features() -> Sequence[Feature]:
    return [national_feature()]


async def stored(db_pool: Pool, user: User) -> str | None:
    return await ListenAuditRepository(db_pool).listen_endpoint(user.id)


async def post(client: Any, token: str, path: str, endpoint: str) -> Any:
    return await client.post(
        path, data={"_csrf": token, "endpoint": endpoint}, allow_redirects=False
    )


ROLES = [
    (Role.NATIONAL_LISTENER, None, True),
    (Role.SUPERUSER, None, True),
    (Role.PROVINCE_ADMIN, "hamedan", False),
    (Role.OFFICIAL, "hamedan", False),
    (Role.AGENCY_STAFF, "hamedan", False),
    (Role.INSPECTOR, "hamedan", False),
]


@pytest.mark.parametrize(("role", "province", "allowed"), ROLES)
async def test_only_national_listeners_and_superusers_set_their_own_listen_endpoint(
    web_client: Any, make_user: Any, login: Any, csrf_token_of: Any, db_pool: Pool,
    center_ids: dict[str, int], role: Role, province: str | None, allowed: bool,
) -> None:  # fmt: skip
    user = await make_user(role, center_ids[province] if province else None)
    await login(web_client, user)
    token = await csrf_token_of(web_client)

    page = await web_client.get(PAGE)
    response = await post(web_client, token, PAGE, "PJSIP/listener-1")

    if allowed:
        assert page.status == 200
        assert response.status == 303
        assert response.headers["Location"] == f"{PAGE}?done=saved"
        assert await stored(db_pool, user) == "PJSIP/listener-1"
    else:
        assert page.status == 403
        assert response.status == 403
        assert await stored(db_pool, user) is None


async def test_the_saved_endpoint_is_shown_on_the_page_and_in_the_navigation(
    web_client: Any, make_user: Any, login: Any, csrf_token_of: Any
) -> None:
    await login(web_client, await make_user(Role.NATIONAL_LISTENER))
    token = await csrf_token_of(web_client)
    before = await (await web_client.get(PAGE)).text()
    assert "ثبت نشده" in before
    assert f'href="{PAGE}"' in before

    response = await post(web_client, token, PAGE, "Local/1001@samad-listeners")
    after = await web_client.get(response.headers["Location"])
    text = await after.text()

    assert after.status == 200
    assert "نقطهٔ شنود ذخیره شد" in text
    assert '<bdi dir="ltr" class="current-endpoint">Local/1001@samad-listeners</bdi>' in text


async def test_persian_digits_in_the_endpoint_are_stored_as_ascii(
    web_client: Any, make_user: Any, login: Any, csrf_token_of: Any, db_pool: Pool
) -> None:
    user = await login(web_client, await make_user(Role.NATIONAL_LISTENER))
    response = await post(web_client, await csrf_token_of(web_client), PAGE, " PJSIP/۱۰۰۱ ")
    assert response.status == 303
    assert await stored(db_pool, user) == "PJSIP/1001"


async def test_a_malformed_endpoint_is_refused_with_a_persian_explanation(
    web_client: Any, make_user: Any, login: Any, csrf_token_of: Any, db_pool: Pool
) -> None:
    user = await login(web_client, await make_user(Role.NATIONAL_LISTENER))
    await ListenAuditRepository(db_pool).set_listen_endpoint(user.id, "PJSIP/listener-1")
    token = await csrf_token_of(web_client)

    for endpoint in MALFORMED:
        response = await post(web_client, token, PAGE, endpoint)
        assert response.status == 422, endpoint
        text = await response.text()
        assert 'role="alert"' in text
        assert INVALID in text
    assert await stored(db_pool, user) == "PJSIP/listener-1"


async def test_a_superuser_sets_another_users_endpoint_and_sees_it_in_the_list(
    web_client: Any, make_user: Any, login: Any, csrf_token_of: Any, db_pool: Pool,
    center_ids: dict[str, int],
) -> None:  # fmt: skip
    listener = await make_user(Role.NATIONAL_LISTENER)
    admin = await make_user(Role.PROVINCE_ADMIN, center_ids["hamedan"])
    await login(web_client, await make_user(Role.SUPERUSER))
    token = await csrf_token_of(web_client)

    for user, endpoint in ((listener, "PJSIP/listener-7"), (admin, "SIP/hamedan-admin")):
        response = await post(web_client, token, f"{PAGE}/{user.id}", endpoint)
        assert response.status == 303
        assert await stored(db_pool, user) == endpoint
    text = await (await web_client.get(PAGE)).text()
    assert f'data-user-id="{listener.id}"' in text
    assert '<bdi dir="ltr">PJSIP/listener-7</bdi>' in text
    assert '<bdi dir="ltr">SIP/hamedan-admin</bdi>' in text

    bad = await post(web_client, token, f"{PAGE}/{listener.id}", "PJSIP/x;y")
    assert bad.status == 422
    assert f"{listener.username}: نقطهٔ شنود نامعتبر است" in await bad.text()
    assert await stored(db_pool, listener) == "PJSIP/listener-7"
    assert (await post(web_client, token, f"{PAGE}/999999", "PJSIP/x")).status == 404


async def test_a_national_listener_cannot_set_someone_elses_endpoint(
    web_client: Any, make_user: Any, login: Any, csrf_token_of: Any, db_pool: Pool
) -> None:
    other = await make_user(Role.NATIONAL_LISTENER)
    me = await login(web_client, await make_user(Role.NATIONAL_LISTENER))
    token = await csrf_token_of(web_client)

    for target in (other, me):
        response = await post(web_client, token, f"{PAGE}/{target.id}", "PJSIP/mine")
        assert response.status == 403
        assert await stored(db_pool, target) is None
    assert "data-user-id" not in await (await web_client.get(PAGE)).text()


async def test_a_form_without_a_valid_csrf_token_changes_nothing(
    web_client: Any, make_user: Any, login: Any, db_pool: Pool
) -> None:
    user = await login(web_client, await make_user(Role.SUPERUSER))
    forms: list[dict[str, str]] = [
        {"endpoint": "PJSIP/forged"},
        {"endpoint": "PJSIP/forged", "_csrf": ""},
        {"endpoint": "PJSIP/forged", "_csrf": "0" * 64},
    ]
    for form in forms:
        for path in (PAGE, f"{PAGE}/{user.id}"):
            response = await web_client.post(path, data=form, allow_redirects=False)
            assert response.status == 403, (path, form)
            assert "توکن امنیتی" in await response.text()
    assert await stored(db_pool, user) is None


async def test_anonymous_visitors_are_sent_to_the_login_page(web_client: Any) -> None:
    response = await web_client.get(PAGE, allow_redirects=False)
    assert response.status == 302
    assert response.headers["Location"].startswith("/login?next=")
