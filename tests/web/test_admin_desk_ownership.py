"""Item 2 of issue 15 at the admin console: one province cannot take another's desk, and
a browser desk's credential is rotated on demand."""

from __future__ import annotations

from samad_ivr.storage.db import Pool
from samad_ivr.storage.desk_credentials import DeskCredentialRepository
from samad_ivr.storage.officials import OfficialRepository
from samad_ivr.storage.roster import RosterRepository
from samad_ivr.web.admin.desk_credentials import OTHER_CENTER

from .test_admin_support import (  # noqa: F401  (fixtures)
    AdminClient,
    World,
    as_role_fixture,
    csrf,
    post_form,
    settings_fixture,
    web_features_fixture,
    world_fixture,
)


async def test_an_admin_cannot_set_an_official_to_another_provinces_desk(
    as_role: AdminClient, world: World, db_pool: Pool
) -> None:
    client = await as_role()  # Hamedan's province admin
    page = f"/admin/centers/{world.hamedan}/officials/{world.official_h}"
    form = {"name": "علی رضایی", "title": "استاندار", "agency_id": str(world.agency_h),
            "desk_endpoint": "PJSIP/desk-9"}  # Tehran's governor's desk  # fmt: skip
    response = await post_form(client, page, form, page)
    assert response.status == 422
    assert OTHER_CENTER in await response.text()
    saved = await OfficialRepository(db_pool).get(world.hamedan, world.official_h)
    assert saved is not None
    assert saved.desk_endpoint == "PJSIP/desk-1"
    # a new official pointing at it is refused the same way
    new = f"/admin/centers/{world.hamedan}/officials/new"
    response = await post_form(client, new, {**form, "name": "تازه"}, new)
    assert response.status == 422
    assert OTHER_CENTER in await response.text()


async def test_officials_of_one_center_may_share_their_centers_desk(
    as_role: AdminClient, world: World
) -> None:
    client = await as_role()
    new = f"/admin/centers/{world.hamedan}/officials/new"
    form = {"name": "معاون", "title": "معاون استاندار", "desk_endpoint": "PJSIP/desk-1"}
    assert (await post_form(client, new, form, new)).status == 303


async def test_rotating_a_browser_desks_credential_replaces_it(
    as_role: AdminClient, world: World, db_pool: Pool
) -> None:
    official = await RosterRepository(db_pool).add_official(
        world.hamedan, "میز مرورگر", "معاون", None, "PJSIP/samad-web-h1"
    )
    creds = DeskCredentialRepository(db_pool)
    before = await creds.get("samad-web-h1")
    client = await as_role()
    page = f"/admin/centers/{world.hamedan}/officials/{official}"
    assert "تعویض رمز تلفن مرورگری" in await (await client.get(page)).text()
    response = await post_form(client, page + "/softphone/rotate", {}, page)
    assert response.status == 303, await response.text()
    assert await creds.get("samad-web-h1") != before
    # another province's admin cannot rotate it
    tehran = f"/admin/centers/{world.tehran}/officials/{official}/softphone/rotate"
    assert (await post_form(client, tehran, {}, page)).status in (403, 404)


async def test_a_hardware_desk_has_no_credential_to_rotate(
    as_role: AdminClient, world: World
) -> None:
    client = await as_role()
    page = f"/admin/centers/{world.hamedan}/officials/{world.official_h}"
    assert "تعویض رمز تلفن مرورگری" not in await (await client.get(page)).text()
    assert (await post_form(client, page + "/softphone/rotate", {}, page)).status == 409
