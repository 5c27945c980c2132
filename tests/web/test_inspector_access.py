"""Role and province matrix over every inspector endpoint: each role × own province
(Hamedan) and another (Tehran), pages, forms and the API, with every disagreeing cell
reported together.

The rule: inspectors and province admins see their own province, national roles every
province; only the province's inspectors record visits and decide outcomes; its
province admin may also (re)assign.  "allowed" means past the rights check (a 200, a
redirect, or a 409/422 about the request itself), never a 5xx.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from samad_ivr.domain.lifecycle import Status
from samad_ivr.storage.db import Pool
from samad_ivr.web.security import Role

from .conftest import Client
from .inspector_support import (  # noqa: F401  (fixtures)
    AsRole,
    CaseMaker,
    World,
    as_role_fixture,
    case_fixture,
    lifecycle_fixture,
    version_of,
    web_features_fixture,
    world_fixture,
)

VIEW = "view"
ACT = "act"
ASSIGN = "assign"
# (method, path with {c} center and {r} request, what it needs)
ENDPOINTS: list[tuple[str, str, str]] = [
    ("GET", "/inspector/centers/{c}", VIEW),
    ("GET", "/inspector/centers/{c}?queue=open&status=answered", VIEW),
    ("GET", "/inspector/requests/{r}", VIEW),
    ("GET", "/api/v1/inspector/centers/{c}/queues/overdue", VIEW),
    ("GET", "/api/v1/inspector/requests/{r}", VIEW),
    ("POST", "/inspector/requests/{r}/visits", ACT),
    ("POST", "/api/v1/inspector/requests/{r}/visits", ACT),
    ("POST", "/inspector/requests/{r}/actions/assign", ASSIGN),
    ("POST", "/api/v1/inspector/requests/{r}/actions#assign", ASSIGN),
    ("POST", "/inspector/requests/{r}/actions/send-back", ACT),
    ("POST", "/inspector/requests/{r}/actions/resolve", ACT),
    ("POST", "/api/v1/inspector/requests/{r}/actions#resolve", ACT),
    ("POST", "/inspector/requests/{r}/actions/accept", ACT),
]
ROLES = [*Role, None]  # None: not logged in


def _expected(role: Role | None, own: bool, method: str, api: bool, needs: str) -> str:
    if role is None:
        return "login" if method == "GET" and not api else "401"
    national = role in (Role.SUPERUSER, Role.NATIONAL_LISTENER)
    if needs == VIEW:
        sees = national or (own and role in (Role.INSPECTOR, Role.PROVINCE_ADMIN))
        return "allowed" if sees else "403"
    doers = (Role.INSPECTOR, Role.PROVINCE_ADMIN) if needs == ASSIGN else (Role.INSPECTOR,)
    return "allowed" if own and role in doers else "403"


def _outcome(status: int, location: str) -> str:
    if status in (401, 403):
        return str(status)
    if status in (301, 302) and location.startswith("/login"):
        return "login"
    return "allowed" if status < 500 else f"error {status}"


async def _call(
    client: Client, method: str, url: str, token: str, world: World, version: int
) -> tuple[int, str]:
    url, _, action = url.partition("#")
    kwargs: dict[str, Any] = {"allow_redirects": False}
    fields: dict[str, Any] = {
        "version": version, "agency_id": world.jobs_h, "topic": "other", "note": "بررسی",
        "resolution": "رسیدگی شد", "days": 5, "visited_on": "۱۴۰۳/۱۲/۱۰", "findings": "یافته",
    }  # fmt: skip
    if url.startswith("/api/"):
        kwargs["headers"] = {"X-CSRF-Token": token}
        if method == "POST":
            if action:
                keep = {"assign": ("agency_id", "topic"), "resolve": ("resolution",)}[action]
                body = {"action": action, "version": version, **{k: fields[k] for k in keep}}
            else:
                body = {
                    "agency_id": world.jobs_h,
                    "visited_on": "1403-12-10",
                    "findings": "یافتهٔ دیگر",
                }
            kwargs["json"] = body
    elif method == "POST":
        kwargs["data"] = {"_csrf": token, **{k: str(v) for k, v in fields.items()}}
    response = await client.request(method, url, **kwargs)
    await response.read()
    return response.status, response.headers.get("Location", "")


@pytest.mark.parametrize("role", ROLES, ids=lambda r: r.value if r else "anonymous")
async def test_every_inspector_endpoint_follows_the_role_and_province_rule(
    role: Role | None,
    as_role: AsRole,
    web_client: Client,
    world: World,
    case: CaseMaker,
    csrf_token_of: Callable[[Client], Awaitable[str]],
    db_pool: Pool,
) -> None:
    if role is not None:
        await as_role(role)
    token = await csrf_token_of(web_client)
    ids = {
        True: {"c": world.hamedan, "r": await case(Status.ESCALATED)},
        False: {"c": world.tehran, "r": await case(Status.ESCALATED, province="tehran")},
    }
    wrong = []
    for method, path, needs in ENDPOINTS:
        for own in (True, False):
            url = path.format(**ids[own])
            # Each allowed move bumps the version; send the current one so it can pass.
            version = await version_of(db_pool, ids[own]["r"])
            status, location = await _call(web_client, method, url, token, world, version)
            got = _outcome(status, location)
            want = _expected(role, own, method, url.startswith("/api/"), needs)
            if got != want:
                wrong.append(f"{method} {url} ({'own' if own else 'other'}): {got}, want {want}")
    assert not wrong, "\n".join(wrong)
    # What the moves left behind: refused calls wrote nothing.
    async with db_pool.acquire() as conn:
        final = {
            own: await conn.fetchrow(
                "SELECT status, (SELECT count(*) FROM inspection_visits v"
                " WHERE v.request_id = r.id) AS visits FROM requests r WHERE r.id = $1",
                ids[own]["r"],
            )
            for own in (True, False)
        }  # fmt: skip
    assert (final[False]["status"], final[False]["visits"]) == ("escalated", 0)
    if role is Role.INSPECTOR:
        assert (final[True]["status"], final[True]["visits"]) == ("closed", 2)
    elif role is Role.PROVINCE_ADMIN:
        assert (final[True]["status"], final[True]["visits"]) == ("assigned", 0)
    else:
        assert (final[True]["status"], final[True]["visits"]) == ("escalated", 0)


@pytest.mark.parametrize("role", ROLES, ids=lambda r: r.value if r else "anonymous")
async def test_the_inspector_home_sends_each_role_to_its_place(
    role: Role | None, as_role: AsRole, web_client: Client, world: World
) -> None:
    if role is not None:
        await as_role(role)
    response = await web_client.get("/inspector", allow_redirects=False)
    if role in (Role.INSPECTOR, Role.PROVINCE_ADMIN):
        assert response.status == 302
        assert response.headers["Location"] == f"/inspector/centers/{world.hamedan}"
    elif role in (Role.SUPERUSER, Role.NATIONAL_LISTENER):
        assert response.status == 200
        text = await response.text()
        assert f"/inspector/centers/{world.tehran}" in text
        chosen = await web_client.get(f"/inspector?center={world.tehran}", allow_redirects=False)
        assert chosen.headers["Location"] == f"/inspector/centers/{world.tehran}"
    elif role is None:
        assert response.status == 302
        assert response.headers["Location"].startswith("/login")
    else:
        assert response.status == 403


async def test_unknown_requests_and_provinces_are_not_found(
    as_role: AsRole, web_client: Client
) -> None:
    await as_role(Role.SUPERUSER)
    for path in ("/inspector/centers/999999", "/inspector/requests/999999",
                 "/inspector/requests/abc", "/api/v1/inspector/requests/999999",
                 "/api/v1/inspector/centers/999999/queues/open",
                 "/api/v1/inspector/centers/1/queues/nonsense"):  # fmt: skip
        assert (await web_client.get(path)).status == 404, path
