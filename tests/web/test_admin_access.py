"""Role and province matrix: every admin endpoint × every role × own and other province.

One test per role keeps logins (argon2) to one per role; inside it every endpoint is
called for the user's own province (Hamedan) and for another (Tehran), and every cell of
the matrix that disagrees with the rule is reported together.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from samad_ivr.storage.db import Pool
from samad_ivr.storage.holidays import HolidayRepository
from samad_ivr.storage.roster import RosterRepository
from samad_ivr.web.security import Role

from .conftest import Client
from .test_admin_support import (  # noqa: F401  (fixtures)
    AdminClient,
    World,
    as_role_fixture,
    local,
    settings_fixture,
    web_features_fixture,
    world_fixture,
)

# (method, path below /admin/centers/{c} or an /api/v1 path, needs body kind)
ENDPOINTS: list[tuple[str, str]] = [
    ("GET", "/roster"),
    ("GET", "/roster?month=1403-12"),
    ("POST", "/roster/slots"),
    ("POST", "/roster/repeat"),
    ("GET", "/roster/slots/{slot}"),
    ("POST", "/roster/slots/{slot}/move"),
    ("GET", "/roster/import"),
    ("POST", "/roster/import"),
    ("GET", "/who"),
    ("GET", "/who?date=1404-01-15&time=10:00"),
    ("GET", "/audit"),
    ("GET", "/agencies"),
    ("POST", "/agencies"),
    ("POST", "/agencies/{agency}"),
    ("GET", "/officials"),
    ("GET", "/officials/new"),
    ("POST", "/officials/new"),
    ("GET", "/officials/{official}"),
    ("POST", "/officials/{official}"),
    ("POST", "/officials/{official}/prompt"),
    ("GET", "/settings"),
    ("POST", "/settings/weekend"),
    ("POST", "/settings/window"),
    ("GET", "/holidays"),
    ("POST", "/holidays"),
    ("POST", "/holidays/{day}/rename"),
    ("GET", "/api/slots"),
    ("POST", "/api/slots"),
    # destructive last
    ("DELETE", "/api/slots/{slot2}"),
    ("POST", "/roster/slots/{slot}/delete"),
    ("POST", "/holidays/{day}/delete"),
    ("POST", "/officials/{official}/delete"),
    ("POST", "/agencies/{agency}/delete"),
]
ROLES = [*Role, None]  # None: not logged in


async def _ids(db_pool: Pool, center_id: int, official_id: int) -> dict[str, Any]:
    roster = RosterRepository(db_pool)
    agency = await roster.ensure_agency(center_id, "دستگاه بی‌کار")
    desk = f"PJSIP/spare-{center_id}"  # a desk belongs to one center
    spare = await roster.add_official(center_id, "بی‌نوبت", "کارشناس", None, desk)
    slot = await roster.add_slot(
        center_id, official_id, local(2025, 5, 1, 9), local(2025, 5, 1, 11)
    )
    slot2 = await roster.add_slot(
        center_id, official_id, local(2025, 5, 2, 9), local(2025, 5, 2, 11)
    )
    await HolidayRepository(db_pool).add(center_id, local(2025, 4, 2).date(), "روز طبیعت")
    return {
        "c": center_id, "slot": slot, "slot2": slot2, "agency": agency,
        "official": spare, "day": "1404-01-13",
    }  # fmt: skip


def _url(path: str, ids: dict[str, Any]) -> str:
    filled = path.format(**ids)
    if filled.startswith("/api/"):
        return f"/api/v1/centers/{ids['c']}" + filled[len("/api") :]
    return f"/admin/centers/{ids['c']}{filled}"


def _expected(role: Role | None, own: bool, method: str, api: bool) -> str:
    if role is None:
        return "login" if method == "GET" and not api else "401"
    if role is Role.SUPERUSER or (role is Role.PROVINCE_ADMIN and own):
        return "allowed"
    return "403"


def _outcome(status: int, location: str) -> str:
    if status in (401, 403):
        return str(status)
    if status in (301, 302) and location.startswith("/login"):
        return "login"
    return "allowed" if status < 500 else f"error {status}"


async def _call(client: Client, method: str, url: str, token: str) -> tuple[int, str]:
    kwargs: dict[str, Any] = {"allow_redirects": False}
    if url.startswith("/api/"):
        kwargs["headers"] = {"X-CSRF-Token": token}
        if method == "POST":
            kwargs["json"] = {"official_id": 1, "jalali_date": "1404-02-20"}
    elif method == "POST":
        kwargs["data"] = {"_csrf": token, "name": "x", "date": "1404-02-20"}
    response = await client.request(method, url, **kwargs)
    await response.read()
    return response.status, response.headers.get("Location", "")


@pytest.mark.parametrize("role", ROLES, ids=lambda r: r.value if r else "anonymous")
async def test_every_admin_endpoint_follows_the_role_and_province_rule(
    role: Role | None,
    as_role: AdminClient,
    web_client: Client,
    world: World,
    db_pool: Pool,
    csrf_token_of: Callable[[Client], Awaitable[str]],
) -> None:
    client = web_client if role is None else await as_role(role)
    token = await csrf_token_of(client)
    ids = {
        True: await _ids(db_pool, world.hamedan, world.official_h),
        False: await _ids(db_pool, world.tehran, world.official_t),
    }
    wrong = []
    for method, path in ENDPOINTS:
        for own in (True, False):
            url = _url(path, ids[own])
            status, location = await _call(client, method, url, token)
            got = _outcome(status, location)
            want = _expected(role, own, method, url.startswith("/api/"))
            if got != want:
                wrong.append(f"{method} {url} ({'own' if own else 'other'}): {got}, want {want}")
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("role", ROLES, ids=lambda r: r.value if r else "anonymous")
async def test_admin_index_lists_centers_only_for_admins(
    role: Role | None, as_role: AdminClient, web_client: Client, world: World
) -> None:
    client = web_client if role is None else await as_role(role)
    response = await client.get("/admin", allow_redirects=False)
    if role is Role.SUPERUSER:
        assert response.status == 200
        text = await response.text()
        assert "همدان" in text
        assert "تهران" in text
    elif role is Role.PROVINCE_ADMIN:
        assert response.status == 302
        assert response.headers["Location"] == f"/admin/centers/{world.hamedan}/roster"
    elif role is None:
        assert response.status == 302
        assert response.headers["Location"].startswith("/login")
    else:
        assert response.status == 403


async def test_unknown_center_is_not_found_for_a_superuser(as_role: AdminClient) -> None:
    client = await as_role(Role.SUPERUSER)
    assert (await client.get("/admin/centers/999999/roster")).status == 404
    assert (await client.get("/admin/centers/abc/roster")).status == 404
