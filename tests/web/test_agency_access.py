"""Role × scope matrix over every endpoint the agency portal adds (and the playback rule
it extends): one test per kind of user, every cell that disagrees reported together."""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from samad_ivr.settings import Settings
from samad_ivr.storage.accounts import Role
from samad_ivr.storage.db import Pool

from .agency_support import (  # noqa: F401  (fixtures)
    PDF,
    AgencyWorld,
    agency_world_fixture,
    settings_fixture,
    web_features_fixture,
)
from .conftest import Client, MakeUser


@dataclass(frozen=True, slots=True)
class Who:
    """A kind of user: role, province ('hamedan'/'tehran'/None) and agency key."""

    name: str
    role: Role | None
    province: str | None = None
    agency: str | None = None  # 'agency', 'neighbour', 'far' of AgencyWorld


USERS = [
    Who("superuser", Role.SUPERUSER),
    Who("national_listener", Role.NATIONAL_LISTENER),
    Who("province_admin_own", Role.PROVINCE_ADMIN, "hamedan"),
    Who("province_admin_other", Role.PROVINCE_ADMIN, "tehran"),
    Who("official", Role.OFFICIAL, "hamedan"),
    Who("agency_staff_own", Role.AGENCY_STAFF, "hamedan", "agency"),
    Who("agency_staff_same_province", Role.AGENCY_STAFF, "hamedan", "neighbour"),
    Who("agency_staff_other_province", Role.AGENCY_STAFF, "tehran", "far"),
    Who("inspector_own", Role.INSPECTOR, "hamedan"),
    Who("inspector_other", Role.INSPECTOR, "tehran"),
    Who("anonymous", None),
]

# Endpoints about the `own` case (Hamedan, assigned to `agency`); {r}, {a}, {rec}, {n}.
PAGES = [
    ("GET", "/agency"),
    ("GET", "/agency?status=assigned&overdue=1"),
    ("GET", "/agency/requests/{r}"),
    ("POST", "/agency/notices/{n}/read"),
    ("POST", "/agency/notices/read"),
    ("POST", "/agency/answers/{r}"),
    ("GET", "/api/v1/agency/requests"),
    ("GET", "/api/v1/agency/requests/{r}"),
]
SHARED = [("GET", "/attachments/{a}"), ("GET", "/api/v1/recordings/{rec}/url")]


def expected(who: Who, method: str, path: str) -> str:
    api = path.startswith("/api/")
    if who.role is None:
        return "login" if method == "GET" and not api else "401"
    if path.startswith("/attachments"):
        sees = _reads(who)
        return "allowed" if sees else ("403" if who.role is Role.OFFICIAL else "404")
    if path.startswith("/api/v1/recordings"):
        return "allowed" if _reads(who) else "403"
    if who.role is not Role.AGENCY_STAFF:
        return "403"
    if "{r}" in path and who.agency != "agency":
        return "404"
    return "allowed"


def _reads(who: Who) -> bool:
    """Who may read the Hamedan request of the roads agency."""
    if who.role in (Role.SUPERUSER, Role.NATIONAL_LISTENER):
        return True
    if who.role in (Role.PROVINCE_ADMIN, Role.INSPECTOR):
        return who.province == "hamedan"
    return who.role is Role.AGENCY_STAFF and who.agency == "agency"


def outcome(status: int, location: str) -> str:
    if status in (401, 403, 404):
        return str(status)
    if status in (302, 303) and location.startswith("/login"):
        return "login"
    return "allowed" if status < 500 else f"error {status}"


async def _ids(pool: Pool, world: AgencyWorld, author_id: int, root: Path) -> dict[str, Any]:
    """An answer with a file on the own case (written directly: the matrix must not
    depend on the answer form it also checks), and a notice of the roads agency."""
    sha = hashlib.sha256(PDF).hexdigest()
    (root / sha[:2]).mkdir(parents=True)
    (root / sha[:2] / sha).write_bytes(PDF)
    async with pool.acquire() as conn:
        answer = await conn.fetchval(
            "INSERT INTO request_answers (request_id, agency_id, user_id, body)"
            " VALUES ($1, $2, $3, 'پاسخ') RETURNING id",
            world.own.request_id, world.agency, author_id,
        )  # fmt: skip
        attachment = await conn.fetchval(
            "INSERT INTO answer_attachments (answer_id, request_id, filename, content_type,"
            " size_bytes, sha256) VALUES ($1, $2, 'a.pdf', 'application/pdf', $3, $4) RETURNING id",
            answer, world.own.request_id, len(PDF), sha,
        )  # fmt: skip
        notice = await conn.fetchval(
            "INSERT INTO agency_notifications (agency_id, kind, subject)"
            " VALUES ($1, 'reminder', 'یادآوری') RETURNING id",
            world.agency,
        )
    return {"r": world.own.request_id, "a": attachment, "rec": world.own.recording_id, "n": notice}


async def _call(client: Client, method: str, url: str, token: str) -> tuple[int, str]:
    kwargs: dict[str, Any] = {"allow_redirects": False}
    if method == "POST" and "/answers/" in url:
        form = aiohttp.FormData(default_to_multipart=True)
        form.add_field("_csrf", token)
        form.add_field("version", "0")  # stale on purpose: an allowed user gets 409
        form.add_field("body", "پاسخ")
        kwargs["data"] = form
    elif method == "POST":
        kwargs["data"] = {"_csrf": token}
    response = await client.request(method, url, **kwargs)
    await response.read()
    return response.status, response.headers.get("Location", "")


@pytest.mark.parametrize("who", USERS, ids=lambda w: w.name)
async def test_every_agency_endpoint_follows_the_role_and_scope_rule(
    who: Who,
    web_client: Client,
    make_user: MakeUser,
    login: Callable[..., Awaitable[Any]],
    agency_world: AgencyWorld,
    db_pool: Pool,
    csrf_token_of: Callable[[Client], Awaitable[str]],
    settings: Settings,
) -> None:
    centers = {"hamedan": agency_world.hamedan, "tehran": agency_world.tehran}
    agencies = {"agency": agency_world.agency, "neighbour": agency_world.neighbour,
                "far": agency_world.far}  # fmt: skip
    author = await make_user(Role.AGENCY_STAFF, agency_world.hamedan, agency_id=agency_world.agency)
    ids = await _ids(db_pool, agency_world, author.id, settings.lifecycle.attachments_dir)
    if who.role is not None:
        official = None
        if who.role is Role.OFFICIAL:
            async with db_pool.acquire() as conn:
                official = await conn.fetchval(
                    "INSERT INTO officials (center_id, name, title, desk_endpoint)"
                    " VALUES ($1, 'م', 'مدیر', 'PJSIP/desk-m') RETURNING id",
                    agency_world.hamedan,
                )
        user = await make_user(
            who.role, centers[who.province] if who.province else None,
            agency_id=agencies[who.agency] if who.agency else None, official_id=official,
        )  # fmt: skip
        await login(web_client, user)
    token = await csrf_token_of(web_client)
    wrong = []
    for method, path in [*PAGES, *SHARED]:
        url = path.format(**ids)
        status, location = await _call(web_client, method, url, token)
        got = outcome(status, location)
        want = expected(who, method, path)
        if got != want:
            wrong.append(f"{method} {url}: {got} ({status}), want {want}")
    assert not wrong, "\n".join(wrong)
