"""Screen pop on a real call: real Asterisk 22, our service, the AMI event stream, a real
headless Chromium logged in as the official whose desk rings.

The official's desk is `Local/noanswer@samad-test-desk` (rings, never answers).  The
desk page must show the caller's formatted number within a few seconds of the ring.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import asyncpg
from playwright.async_api import Browser, expect

from samad_ivr.ami.client import AmiClient
from samad_ivr.live.hub import LiveHub
from samad_ivr.live.views import desk_view
from samad_ivr.storage.accounts import AccountRepository, NewUser, Role
from samad_ivr.web.auth_views import hash_password
from samad_ivr.web.desk.views import desk_feature

from .conftest import AsteriskInstance, e2e_settings, wait_for
from .test_call_flows import place, seed_roster

DESK = "Local/noanswer@samad-test-desk"
CALLER = "09181234577"
PASSWORD = "screen pop password 1"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


async def test_the_ringing_desk_shows_the_callers_number_in_the_browser(
    asterisk: AsteriskInstance,
    ami: AmiClient,
    db_pool: asyncpg.Pool,
    database_url: str,
    start_service: object,
    live: LiveHub,
    browser: Browser,
    serve_app: Any,
) -> None:
    official, _ = await seed_roster(db_pool, desk=DESK)
    center = await db_pool.fetchval("SELECT center_id FROM officials WHERE id = $1", official)
    user = NewUser("desk-official", "استاندار همدان", Role.OFFICIAL, center, official)
    await AccountRepository(db_pool).create_user(user, await hash_password(PASSWORD))
    settings = e2e_settings(asterisk, database_url, SAMAD_QUEUE_MAX_WAIT_SECONDS="60")
    await start_service(SAMAD_QUEUE_MAX_WAIT_SECONDS="60")  # type: ignore[operator]

    async with serve_app(settings, db_pool, [desk_feature(live)]) as base:
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
            await expect(number).to_have_text("۰۹۱۸ ۱۲۳ ۴۵۷۷", timeout=5_000)
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
