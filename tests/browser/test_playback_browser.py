"""Playing a recording in real headless Chromium: the <audio> element fetches the MP3
with Range requests through a signed URL, and every byte served left an audit row."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web
from national.factories import make_call
from playwright.async_api import Browser, Request, async_playwright

from samad_ivr.settings import Settings
from samad_ivr.storage.accounts import AccountRepository, NewUser, Role
from samad_ivr.storage.db import Pool
from samad_ivr.storage.roster import RosterRepository
from samad_ivr.web.app import WebDeps, create_app
from samad_ivr.web.auth_views import hash_password
from samad_ivr.web.config import WEB_SETTINGS, WebSettings
from samad_ivr.web.national_routes import national_feature
from samad_ivr.web.openapi import setup_openapi
from samad_ivr.web.security import setup_security

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
    "--autoplay-policy=no-user-gesture-required",
]  # fmt: skip
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
PASSWORD = "browser playback password"


@pytest.fixture
async def served(database_url: str, db_pool: Pool, tmp_path: Path) -> AsyncIterator[str]:
    settings = Settings.from_env({
        "SAMAD_DATABASE_URL": database_url, "SAMAD_WEB_BIND": "127.0.0.1:0",
        "SAMAD_RECORDINGS_DIR": str(tmp_path / "recordings"),
    })  # fmt: skip
    center = await RosterRepository(db_pool).ensure_center("hamedan", "همدان", "samad-hamedan")
    await make_call(db_pool, center, settings.recordings_dir)
    user = NewUser("national-listener", "شنوندهٔ ملی", Role.NATIONAL_LISTENER)
    await AccountRepository(db_pool).create_user(user, await hash_password(PASSWORD))

    def configure(app: web.Application) -> None:
        app[WEB_SETTINGS] = WebSettings.from_env({"SAMAD_WEB_SECRET": "p" * 40})

    app = create_app(
        WebDeps(settings=settings, pool=db_pool),
        features=[configure, setup_security, setup_openapi, national_feature()],
    )
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}"
    finally:
        await runner.cleanup()


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium", pytrace=False)
    async with async_playwright() as p:
        chromium = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            await chromium.close()


async def test_playing_a_recording_uses_range_requests_and_leaves_an_audit_row(
    served: str, browser: Browser, db_pool: Pool
) -> None:
    page = await browser.new_page(locale="fa-IR", viewport={"width": 1280, "height": 800})
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    audio_requests: list[tuple[str, str | None]] = []

    def on_request(request: Request) -> None:
        if "/audio" in request.url:
            audio_requests.append((request.url, request.headers.get("range")))

    page.on("request", on_request)
    await page.goto(f"{served}/national/calls")
    await page.fill("#username", "national-listener")
    await page.fill("#password", PASSWORD)
    await page.click("button[type=submit]")
    await page.wait_for_url(f"{served}/national/calls")
    assert await page.get_attribute("html", "dir") == "rtl"
    await page.click("button.play")
    await page.wait_for_function("document.getElementById('player').readyState >= 2", timeout=15000)
    ARTIFACTS.mkdir(exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / "national-playback.png"), full_page=True)
    await asyncio.sleep(0.3)
    assert audio_requests, "the audio element fetched nothing"
    assert all("sig=" in url for url, _ in audio_requests)
    assert any(r is not None and r.startswith("bytes=") for _, r in audio_requests)
    async with db_pool.acquire() as conn:
        rows = await conn.fetch("SELECT action, username FROM listen_audit")
    assert rows
    assert {(r["action"], r["username"]) for r in rows} == {("play", "national-listener")}
    assert errors == []
