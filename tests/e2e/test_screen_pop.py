"""Screen pop on a real call: real Asterisk 22, our service, the AMI event stream, a real
headless Chromium logged in as the official whose desk rings.

The official's desk is `Local/noanswer@samad-test-desk` (rings, never answers).  The
desk page must show the caller's formatted number within a few seconds of the ring.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest
from aiohttp import web
from playwright.async_api import Browser, async_playwright, expect

from samad_ivr.ami.client import AmiClient
from samad_ivr.live.hub import LiveHub
from samad_ivr.live.views import desk_view
from samad_ivr.storage.accounts import AccountRepository, NewUser, Role
from samad_ivr.web.app import WebDeps, create_app
from samad_ivr.web.auth_views import hash_password
from samad_ivr.web.config import WEB_SETTINGS, WebSettings
from samad_ivr.web.desk import desk_feature
from samad_ivr.web.openapi import setup_openapi
from samad_ivr.web.security import setup_security

from .conftest import AsteriskInstance, e2e_settings, wait_for
from .test_call_flows import place, seed_roster

DESK = "Local/noanswer@samad-test-desk"
CALLER = "09181234577"
PASSWORD = "screen pop password 1"
CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium", pytrace=False)
    async with async_playwright() as p:
        chromium = await p.chromium.launch(
            executable_path=CHROMIUM, args=["--headless", "--no-sandbox", "--disable-gpu"]
        )
        try:
            yield chromium
        finally:
            await chromium.close()


async def test_the_ringing_desk_shows_the_callers_number_in_the_browser(
    asterisk: AsteriskInstance,
    ami: AmiClient,
    db_pool: asyncpg.Pool,
    database_url: str,
    start_service: object,
    live: LiveHub,
    browser: Browser,
) -> None:
    official, _ = await seed_roster(db_pool, desk=DESK)
    center = await db_pool.fetchval("SELECT center_id FROM officials WHERE id = $1", official)
    user = NewUser("desk-official", "استاندار همدان", Role.OFFICIAL, center, official)
    await AccountRepository(db_pool).create_user(user, await hash_password(PASSWORD))
    settings = e2e_settings(asterisk, database_url, SAMAD_DESK_RING_SECONDS="60")
    await start_service(SAMAD_DESK_RING_SECONDS="60")  # type: ignore[operator]

    def configure(app: web.Application) -> None:
        app[WEB_SETTINGS] = WebSettings.from_env({"SAMAD_WEB_SECRET": "d" * 40})

    app = create_app(
        WebDeps(settings=settings, pool=db_pool),
        features=[configure, setup_security, setup_openapi, desk_feature(live)],
    )
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    base = f"http://127.0.0.1:{runner.addresses[0][1]}"
    try:
        page = await browser.new_page(locale="fa-IR", viewport={"width": 1280, "height": 900})
        await page.goto(f"{base}/desk")
        await page.fill("#username", "desk-official")
        await page.fill("#password", PASSWORD)
        await page.click("button[type=submit]")
        await page.wait_for_url(f"{base}/desk")
        await expect(page.locator("#live-status")).to_contain_text("برقرار", timeout=10_000)

        await place(ami, CALLER, "speak", SAMAD_TEST_REPEATS="1")

        async def rings() -> bool:
            return desk_view(live.state, DESK).status == "ringing"

        await wait_for(rings, 60, "the desk to ring")
        view = desk_view(live.state, DESK)
        row = await db_pool.fetchrow("SELECT uniqueid FROM calls WHERE caller_raw = $1", CALLER)
        assert row is not None
        assert view.uniqueid == row["uniqueid"]

        number = page.locator("#caller-number bdi")
        await expect(number).to_have_text("0918 123 4577", timeout=5_000)
        assert await number.get_attribute("dir") == "ltr"
        await expect(page.locator("#desk-state")).to_have_text("در حال زنگ خوردن")
        await page.fill("textarea[name=summary]", "درخواست تسهیلات مسکن")
        await page.select_option("select[name=topic]", "housing")
        await page.click("#note-form button[type=submit]")
        await expect(page.locator("#form-message")).to_have_text("یادداشت ذخیره شد.")
        ARTIFACTS.mkdir(exist_ok=True)
        await page.screenshot(path=str(ARTIFACTS / "desk-screen-pop.png"), full_page=True)
        note = await db_pool.fetchrow("SELECT summary, topic FROM desk_notes")
        assert note is not None
        assert note["topic"] == "housing"
    finally:
        await ami.action({"Action": "Hangup", "Channel": "/^Local\\/111@samad-inbound-/"})
        await runner.cleanup()
