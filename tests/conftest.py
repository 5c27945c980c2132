"""Fixtures shared by the whole suite: a real PostgreSQL for tests that need one.

- `pg_server_url` (session): a server where we may create databases. It is
  `$SAMAD_TEST_DATABASE_URL` when set (nothing is started), otherwise the project's dev
  cluster from `scripts/postgres-dev.sh start`. A server that cannot be started FAILS
  the test; it never skips.
- `database_url` (function): a fresh database cloned from a template that already has
  every migration applied, dropped after the test. Cloning is fast and keeps tests
  independent.
- `db_pool` (function): an asyncpg pool on `database_url`.
- `empty_database_url` (function): a fresh database with no migrations (runner tests).
- `browser` (function): Debian's Chromium, headless, driven by Playwright;
  `launch_chromium(*extra_args)` launches one with more flags (fake media devices).
  A missing Chromium FAILS the test.
- `serve_app(settings, pool, features)`: the web app with security, OpenAPI and
  `features` on a loopback port, as an async context manager yielding its base URL.

The template is named after a hash of `migrations/`, so concurrent pytest sessions share
it safely and a changed migration set gets a new template instead of breaking a running
session. It is built once, under an advisory lock, in a worker thread with its own event
loop: pytest-asyncio's loops are function scoped, so a session fixture must not own one.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import secrets
import subprocess
from collections.abc import AsyncIterator, Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractAsyncContextManager, asynccontextmanager, suppress
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest
from aiohttp import web
from playwright.async_api import Browser, async_playwright

from samad_ivr.settings import Settings
from samad_ivr.storage.db import Pool, create_pool
from samad_ivr.storage.migrations import apply_migrations, migrations_dir, read_migrations
from samad_ivr.web.app import Feature, WebDeps, create_app
from samad_ivr.web.config import WEB_SETTINGS, WebSettings
from samad_ivr.web.openapi import setup_openapi
from samad_ivr.web.security import setup_security

REPO = Path(__file__).resolve().parents[1]
TEMPLATE_PREFIX = "samad_test_template_"
TEMPLATE_LOCK_KEY = 0x5A4D_4144_7E57  # serialises template builds across sessions
KEEP_TEMPLATES = 8  # older templates (stale migration sets) are dropped, best effort


def dsn_for(server_url: str, database: str) -> str:
    """`server_url` pointing at another database on the same server."""
    parts = urlsplit(server_url)
    return urlunsplit(parts._replace(path="/" + database))


@pytest.fixture(scope="session")
def pg_server_url() -> str:
    override = os.environ.get("SAMAD_TEST_DATABASE_URL")
    if override:
        return override
    script = REPO / "scripts" / "postgres-dev.sh"
    try:
        proc = subprocess.run(
            [str(script), "start"], capture_output=True, text=True, timeout=900, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        pytest.fail(f"cannot run {script}: {exc}", pytrace=False)
    if proc.returncode != 0 or not proc.stdout.strip():
        pytest.fail(
            f"{script} start failed (exit {proc.returncode}):\n{proc.stderr[-3000:]}",
            pytrace=False,
        )
    return proc.stdout.strip().splitlines()[-1]


async def _build_template(server_url: str) -> str:
    digest = hashlib.sha256()
    for migration in read_migrations(migrations_dir()):
        digest.update(f"{migration.name}:{migration.sha256}\n".encode())
    name = TEMPLATE_PREFIX + digest.hexdigest()[:12]
    admin = await asyncpg.connect(server_url)
    try:
        await admin.execute("SELECT pg_advisory_lock($1)", TEMPLATE_LOCK_KEY)
        if await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
            return name
        building = name + "_building"
        await admin.execute(f'DROP DATABASE IF EXISTS "{building}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{building}"')
        conn = await asyncpg.connect(dsn_for(server_url, building))
        try:
            await apply_migrations(conn, migrations_dir())
        finally:
            await conn.close()
        # The rename publishes a complete template; nobody may connect to it afterwards,
        # since CREATE DATABASE ... TEMPLATE refuses a source with open connections.
        await admin.execute(f'ALTER DATABASE "{building}" RENAME TO "{name}"')
        await admin.execute(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS false')
        stale = await admin.fetch(
            "SELECT datname FROM pg_database WHERE datname LIKE $1 AND datname <> $2"
            " ORDER BY oid DESC OFFSET $3",
            TEMPLATE_PREFIX + "%",
            name,
            KEEP_TEMPLATES - 1,
        )
        for row in stale:
            with suppress(asyncpg.PostgresError):  # still in use by an older session
                await admin.execute(f'DROP DATABASE IF EXISTS "{row["datname"]}"')
        return name
    finally:
        await admin.close()


@pytest.fixture(scope="session")
def _template_database(pg_server_url: str) -> str:
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, _build_template(pg_server_url)).result(timeout=300)


@asynccontextmanager
async def _scratch_database(server_url: str, template: str) -> AsyncIterator[str]:
    name = f"samad_test_{secrets.token_hex(6)}"
    admin = await asyncpg.connect(server_url)
    try:
        await admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    finally:
        await admin.close()
    try:
        yield dsn_for(server_url, name)
    finally:
        admin = await asyncpg.connect(server_url)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()


@pytest.fixture
async def database_url(pg_server_url: str, _template_database: str) -> AsyncIterator[str]:
    async with _scratch_database(pg_server_url, _template_database) as url:
        yield url


@pytest.fixture
async def empty_database_url(pg_server_url: str) -> AsyncIterator[str]:
    async with _scratch_database(pg_server_url, "template0") as url:
        yield url


@pytest.fixture
async def db_pool(database_url: str) -> AsyncIterator[Pool]:
    pool = await create_pool(database_url, min_size=1, max_size=10)
    try:
        yield pool
    finally:
        await asyncio.wait_for(pool.close(), timeout=10)


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
    "--autoplay-policy=no-user-gesture-required",
]  # fmt: skip
LaunchChromium = Callable[..., AbstractAsyncContextManager[Browser]]
ServeApp = Callable[[Settings, Pool, Iterable[Feature]], AbstractAsyncContextManager[str]]


@asynccontextmanager
async def _launch_chromium(*extra_args: str) -> AsyncIterator[Browser]:
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium", pytrace=False)
    async with async_playwright() as p:
        chromium = await p.chromium.launch(
            executable_path=CHROMIUM, args=[*CHROMIUM_ARGS, *extra_args]
        )
        try:
            yield chromium
        finally:
            await chromium.close()


@pytest.fixture
def launch_chromium() -> LaunchChromium:
    return _launch_chromium


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    async with _launch_chromium() as chromium:
        yield chromium


@asynccontextmanager
async def _serve(settings: Settings, pool: Pool, features: Iterable[Feature]) -> AsyncIterator[str]:
    """The app with security, OpenAPI and `features` on 127.0.0.1; yields its base URL."""

    def configure(app: web.Application) -> None:
        app[WEB_SETTINGS] = WebSettings.from_env({"SAMAD_WEB_SECRET": "w" * 40})

    app = create_app(
        WebDeps(settings=settings, pool=pool),
        features=[configure, setup_security, setup_openapi, *features],
    )
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}"
    finally:
        await runner.cleanup()


@pytest.fixture
def serve_app() -> ServeApp:
    return _serve
