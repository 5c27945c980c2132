"""Role × own/other province over every endpoint of assignment, topics and agency contacts.

One test per role (one argon2 login each); every endpoint is called for a Hamedan (own)
and a Tehran (other) object and every cell that disagrees with the rule is reported.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from lifecycle.factories import make_request

from samad_ivr.storage.accounts import AccountRepository, NewUser
from samad_ivr.storage.db import Pool
from samad_ivr.web.security import Role

from .conftest import Client
from .test_admin_access import _outcome
from .test_admin_support import (  # noqa: F401  (fixtures)
    AdminClient,
    World,
    as_role_fixture,
    settings_fixture,
    web_features_fixture,
    world_fixture,
)

PAGES: list[tuple[str, str]] = [
    ("GET", "/topics"),
    ("POST", "/topics"),
    ("POST", "/topics/housing"),
    ("POST", "/topics/housing/move"),
    ("POST", "/topics/housing/active"),
    ("GET", "/agencies/{agency}"),
    ("POST", "/agencies/{agency}/contact"),
    ("POST", "/agencies/{agency}/staff"),
    ("POST", "/agencies/{agency}/staff/{staff}/active"),
    ("GET", "/requests"),
    ("GET", "/requests?status=assigned"),
    ("GET", "/requests/{request}"),
    ("POST", "/requests/{request}/assign"),
]
ROLES = [*Role, None]  # None: not logged in


async def _ids(db_pool: Pool, center_id: int, agency_id: int, official_id: int) -> dict[str, Any]:
    request_id = await make_request(db_pool, center_id)
    # The request's call was at this province's official's desk.
    await db_pool.execute(
        "UPDATE calls SET official_id = $2 FROM requests r WHERE r.call_id = calls.id"
        " AND r.id = $1",
        request_id,
        official_id,
    )
    staff = await AccountRepository(db_pool).create_user(
        NewUser(f"staff-{center_id}", "کارمند", Role.AGENCY_STAFF, center_id, agency_id=agency_id),
        "not-a-real-hash",
    )
    return {"c": center_id, "agency": agency_id, "request": request_id, "staff": staff.id}


def _page_expected(role: Role | None, own: bool, method: str) -> str:
    if role is None:
        return "login" if method == "GET" else "401"
    if role is Role.SUPERUSER or (role is Role.PROVINCE_ADMIN and own):
        return "allowed"
    return "403"


def _api_expected(role: Role | None, own: bool) -> str:
    if role is None:
        return "401"
    if role is Role.SUPERUSER:
        return "allowed"
    if role in (Role.PROVINCE_ADMIN, Role.INSPECTOR, Role.OFFICIAL) and own:
        return "allowed"  # the official: the request's call was at their desk
    return "403"


async def _call(
    client: Client, method: str, url: str, token: str, json: Any = None
) -> tuple[int, str]:
    kwargs: dict[str, Any] = {"allow_redirects": False}
    if json is not None:
        kwargs |= {"json": json, "headers": {"X-CSRF-Token": token}}
    elif method == "POST":
        kwargs["data"] = {"_csrf": token, "name": "موضوع آزمایشی", "mobile": "09181234567"}
    response = await client.request(method, url, **kwargs)
    await response.read()
    return response.status, response.headers.get("Location", "")


@pytest.mark.parametrize("role", ROLES, ids=lambda r: r.value if r else "anonymous")
async def test_every_assignment_endpoint_follows_the_role_and_province_rule(
    role: Role | None,
    as_role: AdminClient,
    web_client: Client,
    world: World,
    db_pool: Pool,
    csrf_token_of: Callable[[Client], Awaitable[str]],
) -> None:
    agency_t = int(
        await db_pool.fetchval("SELECT id FROM agencies WHERE center_id = $1", world.tehran)
    )
    ids = {
        True: await _ids(db_pool, world.hamedan, world.agency_h, world.official_h),
        False: await _ids(db_pool, world.tehran, agency_t, world.official_t),
    }
    client = web_client if role is None else await as_role(role)
    token = await csrf_token_of(client)
    wrong = []
    for own in (True, False):
        for method, path in PAGES:
            url = f"/admin/centers/{ids[own]['c']}" + path.format(**ids[own])
            got = _outcome(*await _call(client, method, url, token))
            want = _page_expected(role, own, method)
            if got != want:
                wrong.append(f"{method} {url} ({'own' if own else 'other'}): {got}, want {want}")
        url = f"/api/v1/requests/{ids[own]['request']}/assign"
        body = {"agency_id": ids[own]["agency"], "topic": "housing"}
        got = _outcome(*await _call(client, "POST", url, token, json=body))
        if got != (want := _api_expected(role, own)):
            wrong.append(f"POST {url} ({'own' if own else 'other'}): {got}, want {want}")
    assert not wrong, "\n".join(wrong)
