"""Admin pages for topics and agency contacts: the contact mobile and staff accounts."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from samad_ivr.accounts_cli import user_add
from samad_ivr.settings import Settings
from samad_ivr.storage.accounts import AccountRepository, NewUser, Role
from samad_ivr.storage.db import Pool
from samad_ivr.storage.topics import TopicRepository
from samad_ivr.web.topic_names import TOPIC_CATALOG

from .conftest import Client, do_login
from .test_admin_support import (  # noqa: F401  (fixtures)
    AdminClient,
    World,
    as_role_fixture,
    post_form,
    settings_fixture,
    web_features_fixture,
    world_fixture,
)

PASSWORD_RE = re.compile(r'<code dir="ltr">([A-Za-z0-9_-]{16})</code>')
STAFF_PASSWORD = "a long enough password"


def _topics(world: World) -> str:
    return f"/admin/centers/{world.hamedan}/topics"


def _agency(world: World) -> str:
    return f"/admin/centers/{world.hamedan}/agencies/{world.agency_h}"


async def test_an_admin_adds_renames_reorders_and_retires_topics(
    as_role: AdminClient, db_pool: Pool, world: World, web_client: Client
) -> None:
    client = await as_role(Role.PROVINCE_ADMIN)
    page = _topics(world)
    catalog = web_client.server.app[TOPIC_CATALOG]
    assert "topic_1" not in await catalog.names(world.hamedan)  # the copy is now warm
    added = await post_form(client, page, {"name": "  آب و  فاضلاب ", "code": ""}, page)
    assert (added.status, added.headers["Location"]) == (303, page + "?done=topic_added")
    # The admin's own edit drops the cached copy at once.
    assert (await catalog.names(world.hamedan))["topic_1"] == "آب و فاضلاب"
    duplicate = await post_form(client, page, {"name": "آب و فاضلاب"}, page)
    assert duplicate.status == 422
    assert "موضوعی با این نام یا رمز در این مرکز هست." in await duplicate.text()
    bad_code = await post_form(client, page, {"name": "برق", "code": "برق"}, page)
    assert bad_code.status == 422
    renamed = await post_form(client, page + "/housing", {"name": "مسكن"}, page)  # Arabic ك
    assert renamed.status == 303
    assert (await TopicRepository(db_pool).get(world.hamedan, "housing")).name == "مسکن"  # type: ignore[union-attr]
    moved = await post_form(client, page + "/topic_1/move", {"direction": "up"}, page)
    assert moved.status == 303
    codes = [t.code for t in await TopicRepository(db_pool).list(world.hamedan)]
    assert codes.index("topic_1") == codes.index("other") - 2
    retired = await post_form(client, page + "/family/active", {"active": "0"}, page)
    assert retired.status == 303
    text = await (await client.get(page + "?done=topic_retired")).text()
    assert "درخواست‌های پیشین نام آن را نگه می‌دارند" in text
    assert 'class="retired" data-code="family"' in text
    assert "family" not in [t.code for t in await catalog.active(world.hamedan)]
    back = await post_form(client, page + "/family/active", {"active": "1"}, page)
    assert back.status == 303
    assert (await TopicRepository(db_pool).get(world.hamedan, "family")).active  # type: ignore[union-attr]
    for path, data in ((page + "/family/move", {"direction": "sideways"}),
                       (page + "/family/active", {"active": "maybe"})):  # fmt: skip
        assert (await post_form(client, path, data, page)).status == 422
    for path in (page + "/no_such", page + "/DROP%20TABLE", page + "/no_such/active"):
        assert (await post_form(client, path, {"name": "x", "active": "1"}, page)).status == 404


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("۰۹۱۸ ۱۲۳ ۴۵۶۷", "+989181234567"),
        ("00989121112233", "+989121112233"),
        ("+98 912 111 2233", "+989121112233"),
        ("9121112233", "+989121112233"),
    ],
)
async def test_the_contact_mobile_takes_any_iranian_form_and_is_stored_in_e164(
    as_role: AdminClient, db_pool: Pool, world: World, typed: str, stored: str
) -> None:
    client = await as_role(Role.PROVINCE_ADMIN)
    page = _agency(world)
    response = await post_form(client, page + "/contact", {"mobile": typed}, page)
    assert response.status == 303, await response.text()
    value = await db_pool.fetchval(
        "SELECT contact_mobile FROM agencies WHERE id = $1", world.agency_h
    )
    assert value == stored
    shown = await (await client.get(page)).text()
    assert "۰۹" in shown
    assert "+۹۸" not in shown


async def test_a_landline_or_garbage_is_refused_and_an_empty_field_clears_the_number(
    as_role: AdminClient, db_pool: Pool, world: World
) -> None:
    client = await as_role(Role.PROVINCE_ADMIN)
    page = _agency(world)
    await post_form(client, page + "/contact", {"mobile": "09181234567"}, page)
    landline = await post_form(client, page + "/contact", {"mobile": "081 3123 4567"}, page)
    assert landline.status == 422
    assert "فقط شمارهٔ همراه ایران" in await landline.text()
    for typed in ("call me", "<script>x</script>", "0918"):
        response = await post_form(client, page + "/contact", {"mobile": typed}, page)
        assert response.status == 422, typed
        text = await response.text()
        assert "شمارهٔ تلفن معتبری نیست" in text
        assert "<script>x" not in text
    assert (
        await db_pool.fetchval("SELECT contact_mobile FROM agencies WHERE id = $1", world.agency_h)
        == "+989181234567"
    )
    cleared = await post_form(client, page + "/contact", {"mobile": "  "}, page)
    assert cleared.headers["Location"].endswith("done=contact_cleared")
    assert (
        await db_pool.fetchval("SELECT contact_mobile FROM agencies WHERE id = $1", world.agency_h)
        is None
    )


async def test_staff_accounts_are_created_with_a_typed_or_a_generated_password(
    as_role: AdminClient, db_pool: Pool, world: World, web_client: Client
) -> None:
    client = await as_role(Role.PROVINCE_ADMIN)
    page = _agency(world)
    staff = page + "/staff"
    base = {"username": "Rah.Hamedan", "full_name": "کارشناس راه"}
    mismatch = await post_form(
        client, staff, {**base, "password": STAFF_PASSWORD, "password_again": "other"}, page
    )
    assert mismatch.status == 422
    assert "یکسان نیستند" in await mismatch.text()
    typed = await post_form(
        client, staff, {**base, "password": STAFF_PASSWORD, "password_again": STAFF_PASSWORD},
        page,
    )  # fmt: skip
    assert typed.status == 303
    found = await AccountRepository(db_pool).credentials("rah.hamedan")
    assert found is not None
    assert (found[0].role, found[0].center_id, found[0].agency_id) == (
        Role.AGENCY_STAFF, world.hamedan, world.agency_h,
    )  # fmt: skip
    assert found[1].startswith("$argon2id$")
    taken = await post_form(client, staff, {**base, "generate": "1"}, page)
    assert taken.status == 409
    generated = await post_form(
        client, staff, {"username": "rah2", "full_name": "کارشناس دوم", "generate": "1"}, page
    )
    assert generated.status == 201
    assert generated.headers["Cache-Control"] == "no-store"
    match = PASSWORD_RE.search(await generated.text())
    assert match is not None
    # The generated password is shown once and works.
    again = await (await client.get(page)).text()
    assert match[1] not in again
    user2 = await AccountRepository(db_pool).credentials("rah2")
    assert user2 is not None
    async with TestClient(TestServer(web_client.server.app)) as other:
        assert (await do_login(other, user2[0], match[1])).status == 303


async def test_deactivating_a_staff_account_ends_its_sessions_and_is_scoped_to_the_agency(
    as_role: AdminClient, db_pool: Pool, world: World, web_client: Client,
    make_user: Callable[..., Awaitable[Any]],
) -> None:  # fmt: skip
    staff_user = await make_user(
        Role.AGENCY_STAFF, world.hamedan, agency_id=world.agency_h, password=STAFF_PASSWORD
    )
    async with TestClient(TestServer(web_client.server.app)) as staff_client:
        assert (await do_login(staff_client, staff_user, STAFF_PASSWORD)).status == 303
        assert (await staff_client.get("/api/v1/me")).status == 200
        client = await as_role(Role.PROVINCE_ADMIN)
        page = _agency(world)
        listing = await (await client.get(page)).text()
        assert staff_user.username in listing
        off = await post_form(
            client, page + f"/staff/{staff_user.id}/active", {"active": "0"}, page
        )
        assert off.headers["Location"].endswith("done=staff_deactivated")
        assert (await staff_client.get("/api/v1/me")).status == 401
    other_agency = await db_pool.fetchval(
        "INSERT INTO agencies (center_id, name) VALUES ($1, 'ادارهٔ دیگر') RETURNING id",
        world.hamedan,
    )
    stranger = await AccountRepository(db_pool).create_user(
        NewUser("stranger", "", Role.AGENCY_STAFF, world.hamedan, agency_id=other_agency), "h"
    )
    wrong = await post_form(client, page + f"/staff/{stranger.id}/active", {"active": "0"}, page)
    assert wrong.status == 404
    admin_id = await db_pool.fetchval("SELECT id FROM users WHERE role = 'province_admin'")
    admin_self = await post_form(client, page + f"/staff/{admin_id}/active", {"active": "0"}, page)
    assert admin_self.status == 404


async def test_the_cli_creates_agency_staff_by_agency_name_or_id(
    settings: Settings, db_pool: Pool, world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    env = {"SAMAD_NEW_USER_PASSWORD": STAFF_PASSWORD}
    common = ["--role", "agency_staff", "--center", "hamedan"]
    by_name = ["--username", "by-name", *common, "--agency", "استانداري همدان"]  # Arabic ي
    assert await user_add(settings, by_name, env=env) == 0
    by_id = ["--username", "by-id", *common, "--agency", str(world.agency_h)]
    assert await user_add(settings, by_id, env=env) == 0
    for username in ("by-name", "by-id"):
        found = await AccountRepository(db_pool).credentials(username)
        assert found is not None
        assert found[0].agency_id == world.agency_h
    assert await user_add(settings, ["--username", "no-agency", *common], env=env) == 2
    assert "needs --agency" in capsys.readouterr().err
    unknown = ["--username", "unknown", *common, "--agency", "وزارت ناموجود"]
    assert await user_add(settings, unknown, env=env) == 2
    assert "has no agency" in capsys.readouterr().err
    tehran = ["--username", "t-staff", "--role", "agency_staff", "--center", "tehran",
              "--agency", str(world.agency_h)]  # fmt: skip
    assert await user_add(settings, tehran, env=env) == 2
    official = ["--username", "off", "--role", "official", "--center", "hamedan",
                "--agency", "1"]  # fmt: skip
    assert await user_add(settings, official, env=env) == 2
