"""Fixtures of the inspector console tests: the console on a fixed clock, two provinces
with agencies, and a client logged in as any role (province roles in Hamedan)."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from inspector.cases import make_case
from lifecycle.factories import make_agency

from samad_ivr.domain.deadlines import DeadlinePolicy
from samad_ivr.domain.lifecycle import Status
from samad_ivr.storage.accounts import Role, User
from samad_ivr.storage.db import Pool
from samad_ivr.storage.lifecycle import RequestLifecycle
from samad_ivr.storage.roster import RosterRepository
from samad_ivr.web.app import Feature
from samad_ivr.web.inspector.routes import inspector_feature

from .conftest import Client, MakeUser

# A Saturday, 10:00 in Tehran; every page and move of these tests happens then.
CLOCK_NOW = datetime(2025, 3, 1, 6, 30, tzinfo=UTC)
CSRF_RE = re.compile(r'name="_csrf" value="([0-9a-f]{64})"')


@dataclass(frozen=True, slots=True)
class World:
    hamedan: int
    tehran: int
    roads_h: int  # with a contact mobile
    jobs_h: int  # without one
    roads_t: int
    official_h: int


@pytest.fixture(name="web_features")
def web_features_fixture() -> Sequence[Feature]:
    return (inspector_feature(clock=lambda: CLOCK_NOW),)


@pytest.fixture(name="world")
async def world_fixture(db_pool: Pool, center_ids: dict[str, int]) -> World:
    h, t = center_ids["hamedan"], center_ids["tehran"]
    roster = RosterRepository(db_pool)
    roads_h = await make_agency(db_pool, h, "ادارهٔ کل راه و شهرسازی همدان", "+989181110000")
    jobs_h = await make_agency(db_pool, h, "ادارهٔ کل تعاون، کار و رفاه همدان")
    roads_t = await make_agency(db_pool, t, "ادارهٔ کل راه و شهرسازی تهران", "+989121110000")
    official = await roster.add_official(h, "علی رضایی", "استاندار", roads_h, "PJSIP/desk-1")
    return World(h, t, roads_h, jobs_h, roads_t, official)


@pytest.fixture(name="lifecycle")
def lifecycle_fixture(db_pool: Pool) -> RequestLifecycle:
    return RequestLifecycle(db_pool, DeadlinePolicy())


CaseMaker = Callable[..., Awaitable[int]]


@pytest.fixture(name="case")
def case_fixture(db_pool: Pool, lifecycle: RequestLifecycle, world: World) -> CaseMaker:
    """`await case(Status.ANSWERED)`: a Hamedan request (roads) in that status;
    `province="tehran"` for one of Tehran."""

    async def make(status: Status, province: str = "hamedan", **options: Any) -> int:
        center, agency = (
            (world.hamedan, world.roads_h)
            if province == "hamedan"
            else (world.tehran, world.roads_t)
        )
        return await make_case(db_pool, lifecycle, center, agency, status, now=CLOCK_NOW, **options)

    return make


AsRole = Callable[..., Awaitable[User]]


@pytest.fixture(name="as_role")
def as_role_fixture(
    web_client: Client, make_user: MakeUser, login: Callable[..., Awaitable[Any]], world: World
) -> AsRole:
    """Log `web_client` in as a new user of `role` (province roles in `province`)."""

    async def become(role: Role, province: str = "hamedan") -> User:
        center = world.hamedan if province == "hamedan" else world.tehran
        national = role in (Role.SUPERUSER, Role.NATIONAL_LISTENER)
        user = await make_user(
            role,
            None if national else center,
            official_id=world.official_h if role is Role.OFFICIAL else None,
            agency_id=world.roads_h if role is Role.AGENCY_STAFF else None,
            full_name="مریم بازرس" if role is Role.INSPECTOR else "کاربر آزمایشی",
        )
        await login(web_client, user)
        return user

    return become


async def form_token(client: Client, path: str) -> str:
    response = await client.get(path)
    match = CSRF_RE.search(await response.text())
    assert match, f"no CSRF token on {path} ({response.status})"
    return match.group(1)


async def version_of(pool: Pool, request_id: int) -> int:
    async with pool.acquire() as conn:
        return int(await conn.fetchval("SELECT version FROM requests WHERE id = $1", request_id))
