"""A center with two officials on a freshly migrated database, plus row factories."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from samad_ivr.settings import Settings
from samad_ivr.storage.accounts import AccountRepository, NewUser, Role, User
from samad_ivr.storage.calls import CallRepository, CallUpsert
from samad_ivr.storage.db import Pool
from samad_ivr.storage.roster import RosterRepository
from samad_ivr.web.admin.visits import reports_feature
from samad_ivr.web.app import WebDeps, create_app
from samad_ivr.web.auth_views import hash_password
from samad_ivr.web.config import WEB_SETTINGS, WebSettings
from samad_ivr.web.public.views import public_feature
from samad_ivr.web.security import setup_security

TEHRAN = ZoneInfo("Asia/Tehran")


def tehran(day: date, hour: int = 9, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=TEHRAN)


@dataclass(frozen=True, slots=True)
class World:
    center_id: int
    governor_id: int
    mayor_id: int


MakeSlot = Callable[..., Awaitable[int]]
MakeAnswered = Callable[..., Awaitable[int]]


@pytest.fixture
def roster(db_pool: Pool) -> RosterRepository:
    return RosterRepository(db_pool)


@pytest.fixture
async def world(roster: RosterRepository) -> World:
    center_id = await roster.ensure_center("hamedan", "مرکز سامد همدان", "samad-hamedan")
    governorate = await roster.ensure_agency(center_id, "استانداری همدان")
    water = await roster.ensure_agency(center_id, "شرکت آب و فاضلاب")
    governor = await roster.add_official(
        center_id, "علی رضایی", "استاندار", governorate, "PJSIP/desk-1"
    )
    mayor = await roster.add_official(center_id, "مینا احمدی", "مدیرعامل", water, "PJSIP/desk-2")
    return World(center_id=center_id, governor_id=governor, mayor_id=mayor)


@pytest.fixture
def make_slot(roster: RosterRepository, world: World) -> MakeSlot:
    async def make(day: date, official_id: int | None = None, hour: int = 9) -> int:
        starts = tehran(day, hour)
        return await roster.add_slot(
            world.center_id, official_id or world.governor_id, starts, starts + timedelta(hours=2)
        )

    return make


@pytest.fixture
def make_answered(db_pool: Pool, world: World) -> MakeAnswered:
    calls = CallRepository(db_pool)
    counter = iter(range(1, 10_000))

    async def make(at: datetime, official_id: int, disposition: str = "answered") -> int:
        n = next(counter)
        return await calls.upsert_call(
            CallUpsert(
                uniqueid=f"1740800000.{n}",
                center_id=world.center_id,
                caller_raw="09121234567",
                caller_e164="+989121234567",
                started_at=at - timedelta(seconds=30),
                answered_at=at,
                disposition=disposition,  # type: ignore[arg-type]
                route="desk",
                official_id=official_id,
            )
        )

    return make


# -- web -------------------------------------------------------------------------------

NOW = tehran(date(2025, 5, 3), 12)  # a Saturday, 1404-02-13
Client = TestClient[Any, Any]
_CSRF_FIELD = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]+)">')


@pytest.fixture
async def client(db_pool: Pool, database_url: str, world: World) -> AsyncIterator[Client]:
    settings = Settings.from_env(
        {"SAMAD_DATABASE_URL": database_url, "SAMAD_WEB_BIND": "127.0.0.1:0"}
    )

    def configure(app: web.Application) -> None:
        app[WEB_SETTINGS] = WebSettings.from_env({"SAMAD_WEB_SECRET": "n" * 40})

    app = create_app(
        WebDeps(settings=settings, pool=db_pool),
        features=[
            configure,
            setup_security,
            public_feature(clock=lambda: NOW),
            reports_feature(clock=lambda: NOW),
        ],
    )
    test_client: Client = TestClient(TestServer(app))
    await test_client.start_server()
    try:
        yield test_client
    finally:
        await test_client.close()


def hidden_fields(html: str, form_id: str) -> dict[str, str]:
    """The hidden inputs (CSRF token included) of the form with `form_id` in `html`."""
    start = html.index(f'id="{form_id}"')
    end = html.index("</form>", start)
    return dict(_CSRF_FIELD.findall(html[start:end]))


async def log_in(client: Client, db_pool: Pool, role: Role, center_id: int | None) -> User:
    accounts = AccountRepository(db_pool)
    password = "correct horse battery staple"
    user = await accounts.create_user(
        NewUser(f"{role.value.replace('_', '-')}-user", "کاربر آزمایشی", role, center_id),
        await hash_password(password),
    )
    page = await client.get("/login")
    token = dict(_CSRF_FIELD.findall(await page.text()))["_csrf"]
    form = {"username": user.username, "password": password, "_csrf": token, "next": "/"}
    response = await client.post("/login", data=form, allow_redirects=False)
    assert response.status == 303, await response.text()
    return user
