"""Changes to officials, agencies, users and SMS templates are audited; the trail is
append-only (issue 15, item 8)."""

from __future__ import annotations

import asyncpg
import pytest

from samad_ivr.sms.templates import TemplateRepository
from samad_ivr.storage.accounts import AccountRepository, NewUser, Role
from samad_ivr.storage.audit import Actor
from samad_ivr.storage.audit_actor import acting_user
from samad_ivr.storage.db import Pool

from .test_admin_support import (  # noqa: F401  (fixtures)
    AdminClient,
    World,
    as_role_fixture,
    post_form,
    settings_fixture,
    web_features_fixture,
    world_fixture,
)

AUDIT_SQL = """
SELECT user_id, username, center_id, action, before, after FROM roster_audit
WHERE action = $1 ORDER BY id DESC LIMIT 1
"""


async def last(db_pool: Pool, action: str) -> asyncpg.Record:
    row = await db_pool.fetchrow(AUDIT_SQL, action)
    assert row is not None, f"no {action} in the audit"
    return row


async def test_an_admin_moving_an_officials_desk_and_deputy_is_audited_with_before_and_after(
    as_role: AdminClient, world: World, db_pool: Pool
) -> None:
    client = await as_role()
    page = f"/admin/centers/{world.hamedan}/officials/{world.official_h}"
    form = {
        "name": "علی رضایی", "title": "استاندار", "agency_id": str(world.agency_h),
        "desk_endpoint": "PJSIP/desk-7", "mobile": "", "deputy_id": str(world.official_h2),
    }  # fmt: skip
    response = await post_form(client, page, form, page)
    assert response.status == 303, await response.text()
    rows = await db_pool.fetch(
        "SELECT * FROM roster_audit WHERE action = 'official_update' AND before ? 'desk_endpoint'"
    )
    assert len(rows) == 1
    row = rows[0]
    me = await (await client.get("/api/v1/me")).json()
    assert (row["user_id"], row["username"], row["center_id"]) == (
        me["id"], me["username"], world.hamedan,
    )  # fmt: skip
    assert '"desk_endpoint": "PJSIP/desk-1"' in row["before"]
    assert '"desk_endpoint": "PJSIP/desk-7"' in row["after"]
    assert f'"deputy_id": {world.official_h2}' in row["after"]
    assert "name" not in row["after"].replace("desk_endpoint", "")  # only what changed


async def test_agency_user_and_template_changes_are_audited_and_no_password_hash_is_kept(
    db_pool: Pool, world: World
) -> None:
    token = acting_user.set(Actor(None, "ops-cli"))
    try:
        accounts = AccountRepository(db_pool)
        user = await accounts.create_user(
            NewUser("audit.me", "نام", Role.PROVINCE_ADMIN, world.hamedan), "argon2-hash-secret"
        )
        await accounts.set_password_hash(user.id, "another-hash-secret")
        await accounts.set_active(user.id, False)
        await TemplateRepository(db_pool).save("tracking_code", "کد پیگیری:\n{code}", "ops-cli")
        await db_pool.execute("UPDATE agencies SET name = 'x' WHERE id = $1", world.agency_h)
    finally:
        acting_user.reset(token)
    created = await last(db_pool, "user_create")
    assert created["username"] == "ops-cli"
    assert "audit.me" in created["after"]
    trail = await db_pool.fetch("SELECT concat(before::text, after::text) AS t FROM roster_audit")
    assert not any("hash" in r["t"] for r in trail)
    assert '"is_active": false' in (await last(db_pool, "user_update"))["after"]
    assert "کد پیگیری" in (await last(db_pool, "sms_template_update"))["after"]
    agency = await last(db_pool, "agency_update")
    assert agency["username"] is None  # a change outside the application: still recorded
    assert '"name": "x"' in agency["after"]


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE roster_audit SET username = 'someone else'",
        "DELETE FROM roster_audit",
        "TRUNCATE roster_audit",
    ],
)
async def test_the_audit_trail_refuses_update_delete_and_truncate(
    db_pool: Pool, world: World, sql: str
) -> None:
    await db_pool.execute("UPDATE officials SET title = 'y' WHERE id = $1", world.official_h)
    before = await db_pool.fetchval("SELECT count(*) FROM roster_audit")
    assert before > 0
    with pytest.raises(asyncpg.InsufficientPrivilegeError):
        await db_pool.execute(sql)
    assert await db_pool.fetchval("SELECT count(*) FROM roster_audit") == before
