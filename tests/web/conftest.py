"""Fixtures for web tests: the real app on a real (fresh) PostgreSQL, users, logging in.

- `web_features`: the features `web_client` installs after `setup_security` and
  `setup_openapi`; override it in a test module (or parametrize) to add your own.
- `web_settings`: the `WebSettings` of the app (override for secure cookies etc.).
- `web_client`: an aiohttp test client on `create_app(deps, [security, openapi,
  *web_features])`.
- `center_ids`: two province centers, {"hamedan": id, "tehran": id}.
- `make_user(role, center_id=None, password=..., username=None, **fields)`: a stored user.
- `login(client, user)`: logs in through the real /login form.
- `csrf_token_of(client)` (fixture): the token for the client's current session (from /api/v1/me,
  or the login form for anonymous clients).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Any, Protocol

import pytest
from aiohttp.test_utils import TestClient, TestServer

from samad_ivr.settings import Settings
from samad_ivr.storage.accounts import AccountRepository, NewUser, Role, User
from samad_ivr.storage.db import Pool
from samad_ivr.storage.roster import RosterRepository
from samad_ivr.web.app import DEPS, Feature, WebDeps, create_app
from samad_ivr.web.auth_views import hash_password
from samad_ivr.web.config import WEB_SETTINGS, WebSettings
from samad_ivr.web.openapi import setup_openapi
from samad_ivr.web.security import setup_security

DEFAULT_PASSWORD = "correct horse battery staple"
_CSRF_INPUT = re.compile(r'name="_csrf" value="([0-9a-f]{64})"')
_counter = itertools.count(1)
_hashes: dict[str, str] = {}

Client = TestClient[Any, Any]


class MakeUser(Protocol):
    async def __call__(
        self,
        role: Role,
        center_id: int | None = None,
        *,
        password: str = DEFAULT_PASSWORD,
        username: str | None = None,
        full_name: str = "کاربر آزمایشی",
        official_id: int | None = None,
        agency_id: int | None = None,
    ) -> User: ...


@pytest.fixture
def web_features() -> Sequence[Feature]:
    return ()


@pytest.fixture
def web_settings() -> WebSettings:
    return WebSettings.from_env({"SAMAD_WEB_SECRET": "s" * 40})


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings.from_env({"SAMAD_DATABASE_URL": database_url, "SAMAD_WEB_BIND": "127.0.0.1:0"})


@pytest.fixture
async def web_client(
    db_pool: Pool,
    settings: Settings,
    web_settings: WebSettings,
    web_features: Sequence[Feature],
) -> AsyncIterator[Client]:
    def configure(app: Any) -> None:
        app[WEB_SETTINGS] = web_settings

    app = create_app(
        WebDeps(settings=settings, pool=db_pool),
        features=[configure, setup_security, setup_openapi, *web_features],
    )
    assert app[DEPS].pool is db_pool
    async with running_client(app) as client:
        yield client


@asynccontextmanager
async def running_client(app: Any) -> AsyncIterator[Client]:
    """A test client on `app`, served on an ephemeral loopback port while in use."""
    client: Client = TestClient(TestServer(app))
    await client.start_server()
    try:
        yield client
    finally:
        await client.close()


@pytest.fixture
async def center_ids(db_pool: Pool) -> dict[str, int]:
    roster = RosterRepository(db_pool)
    return {
        "hamedan": await roster.ensure_center("hamedan", "همدان", "samad-hamedan"),
        "tehran": await roster.ensure_center("tehran", "تهران", "samad-tehran"),
    }


@pytest.fixture
def make_user(db_pool: Pool) -> MakeUser:
    accounts = AccountRepository(db_pool)

    async def make(
        role: Role,
        center_id: int | None = None,
        *,
        password: str = DEFAULT_PASSWORD,
        username: str | None = None,
        full_name: str = "کاربر آزمایشی",
        official_id: int | None = None,
        agency_id: int | None = None,
    ) -> User:
        name = username or f"{role.value.replace('_', '-')}-{next(_counter)}"
        new = NewUser(name, full_name, role, center_id, official_id, agency_id)
        if password not in _hashes:  # argon2 is slow on purpose; hash each password once
            _hashes[password] = await hash_password(password)
        return await accounts.create_user(new, _hashes[password])

    return make


async def login_form_token(client: Client, path: str = "/login") -> str:
    response = await client.get(path)
    match = _CSRF_INPUT.search(await response.text())
    assert match, "the login form carries no CSRF token"
    return match.group(1)


async def do_login(client: Client, user: User, password: str = DEFAULT_PASSWORD) -> Any:
    token = await login_form_token(client)
    form = {"username": user.username, "password": password, "_csrf": token, "next": "/"}
    return await client.post("/login", data=form, allow_redirects=False)


@pytest.fixture
def login() -> Callable[..., Awaitable[User]]:
    async def log_in(client: Client, user: User, password: str = DEFAULT_PASSWORD) -> User:
        response = await do_login(client, user, password)
        assert response.status == 303, await response.text()
        return user

    return log_in


async def _csrf_token_of(client: Client) -> str:
    response = await client.get("/api/v1/me")
    if response.status == 200:
        token: str = (await response.json())["csrf_token"]
        return token
    return await login_form_token(client)


@pytest.fixture
def csrf_token_of() -> Callable[[Client], Awaitable[str]]:
    """The CSRF token valid for the client's current session (or anonymous visit)."""
    return _csrf_token_of
