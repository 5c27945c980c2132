"""Playing a recording in real headless Chromium: the <audio> element fetches the MP3
with Range requests through a signed URL, and every byte served left an audit row."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from national.factories import make_call
from playwright.async_api import Browser, Request

from samad_ivr.settings import Settings
from samad_ivr.storage.accounts import AccountRepository, NewUser, Role
from samad_ivr.storage.db import Pool
from samad_ivr.storage.roster import RosterRepository
from samad_ivr.web.auth_views import hash_password
from samad_ivr.web.national.routes import national_feature

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
PASSWORD = "browser playback password"


@pytest.fixture
async def served(
    database_url: str, db_pool: Pool, tmp_path: Path, serve_app: Any
) -> AsyncIterator[str]:
    settings = Settings.from_env({
        "SAMAD_DATABASE_URL": database_url, "SAMAD_WEB_BIND": "127.0.0.1:0",
        "SAMAD_RECORDINGS_DIR": str(tmp_path / "recordings"),
    })  # fmt: skip
    center = await RosterRepository(db_pool).ensure_center("hamedan", "همدان", "samad-hamedan")
    await make_call(db_pool, center, settings.recordings_dir)
    user = NewUser("national-listener", "شنوندهٔ ملی", Role.NATIONAL_LISTENER)
    await AccountRepository(db_pool).create_user(user, await hash_password(PASSWORD))

    async with serve_app(settings, db_pool, [national_feature()]) as url:
        yield url


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
    # Not wait_for_function: its string predicate needs eval, which the page's CSP forbids.
    loaded = """p => p.readyState >= 2 || new Promise(done => {
        p.addEventListener("loadeddata", () => done(true), {once: true});
    })"""
    async with asyncio.timeout(15):
        assert await page.locator("#player").evaluate(loaded)
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
