"""Shared fixtures of the admin console tests (imported by the other test_admin modules).

The app is the real one (`setup_security`, `setup_openapi`, then `setup_admin`) on a fresh
PostgreSQL; officials' prompts go to a temporary sounds directory.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from samad_ivr.settings import Settings
from samad_ivr.storage.accounts import Role
from samad_ivr.storage.db import Pool
from samad_ivr.storage.roster import RosterRepository
from samad_ivr.web.admin.routes import setup_admin
from samad_ivr.web.app import Feature

from .conftest import Client, MakeUser

TEHRAN = ZoneInfo("Asia/Tehran")
CSRF_RE = re.compile(r'name="_csrf" value="([0-9a-f]{64})"')


@dataclass(frozen=True, slots=True)
class World:
    """Two provinces, each with an agency and officials."""

    hamedan: int
    tehran: int
    agency_h: int
    official_h: int  # «علی رضایی», PJSIP/desk-1
    official_h2: int  # «مریم احمدی», PJSIP/desk-2
    official_t: int  # Tehran's official

    def center(self, which: str) -> int:
        return self.hamedan if which == "own" else self.tehran


@pytest.fixture(name="web_features")
def web_features_fixture() -> Sequence[Feature]:
    return (setup_admin,)


@pytest.fixture(name="settings")
def settings_fixture(database_url: str, tmp_path: Path) -> Settings:
    return Settings.from_env(
        {
            "SAMAD_DATABASE_URL": database_url,
            "SAMAD_WEB_BIND": "127.0.0.1:0",
            "SAMAD_SOUNDS_DIR": str(tmp_path / "sounds"),
        }
    )


@pytest.fixture(name="world")
async def world_fixture(db_pool: Pool, center_ids: dict[str, int]) -> World:
    roster = RosterRepository(db_pool)
    h, t = center_ids["hamedan"], center_ids["tehran"]
    agency_h = await roster.ensure_agency(h, "استانداری همدان")
    agency_t = await roster.ensure_agency(t, "استانداری تهران")
    official_h = await roster.add_official(h, "علی رضایی", "استاندار", agency_h, "PJSIP/desk-1")
    official_h2 = await roster.add_official(h, "مریم احمدی", "معاون", agency_h, "PJSIP/desk-2")
    official_t = await roster.add_official(t, "حسن تهرانی", "استاندار", agency_t, "PJSIP/desk-9")
    return World(h, t, agency_h, official_h, official_h2, official_t)


AdminClient = Callable[..., Awaitable[Client]]


@pytest.fixture(name="as_role")
def as_role_fixture(
    web_client: Client, make_user: MakeUser, login: Callable[..., Awaitable[Any]], world: World
) -> AdminClient:
    """Log the test client in as a new user of ``role`` (province users in Hamedan)."""

    async def become(role: Role = Role.PROVINCE_ADMIN) -> Client:
        national = role in (Role.SUPERUSER, Role.NATIONAL_LISTENER)
        official = world.official_h if role is Role.OFFICIAL else None
        agency = world.agency_h if role is Role.AGENCY_STAFF else None
        user = await make_user(
            role,
            None if national else world.hamedan,
            official_id=official,
            agency_id=agency,
        )
        await login(web_client, user)
        return web_client

    return become


async def csrf(client: Client, path: str) -> str:
    """The CSRF token from a form page the client may see."""
    response = await client.get(path)
    match = CSRF_RE.search(await response.text())
    assert match, f"no CSRF token on {path} ({response.status})"
    return match.group(1)


async def post_form(client: Client, path: str, data: dict[str, Any], page: str) -> Any:
    token = await csrf(client, page)
    return await client.post(path, data={**data, "_csrf": token}, allow_redirects=False)


def local(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=TEHRAN)
