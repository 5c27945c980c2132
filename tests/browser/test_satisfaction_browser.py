"""«Was the answer convincing?» in real headless Chromium: an inspector opens a request
the citizen reopened by SMS after a busy callback, finds it in the reopened queue, and
reads every question, call attempt and reply in its history.
Screenshot: test-artifacts/satisfaction-history.png."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser
from satisfaction.conftest import ANSWERED_AT, FakePhone, answered_request, policy, tehran

from samad_ivr.ami.originate import CallResult
from samad_ivr.jobs.satisfaction_ask import ask_citizens
from samad_ivr.jobs.satisfaction_calls import Callbacks
from samad_ivr.settings import Settings
from samad_ivr.sms.inbound import InboundRouter
from samad_ivr.storage.accounts import AccountRepository, NewUser, Role
from samad_ivr.storage.db import Pool
from samad_ivr.web.auth_views import hash_password
from samad_ivr.web.inspector.routes import inspector_feature

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
PASSWORD = "browser satisfaction password"


@pytest.fixture
async def served(
    database_url: str, db_pool: Pool, serve_app: Any
) -> AsyncIterator[tuple[str, int]]:
    answered = await answered_request(db_pool)
    await ask_citizens(db_pool, ANSWERED_AT + timedelta(days=1), policy())
    ring = Callbacks(db_pool, FakePhone([CallResult.BUSY]), policy().call, dial="Local/{e164}@x",
                     caller_id="111", max_calls=1, clock=lambda: tehran(5, 10))  # fmt: skip
    await ring.ring_due()
    inbound = InboundRouter(db_pool, optout_words=(), verdicts=answered.verdicts,
                            clock=lambda: tehran(5, 11, 20))  # fmt: skip
    await inbound.handle("09121234567", "۲", None)
    await AccountRepository(db_pool).create_user(
        NewUser("inspector-sara", "سارا بازرس", Role.INSPECTOR, answered.center_id),
        await hash_password(PASSWORD),
    )
    settings = Settings.from_env(
        {"SAMAD_DATABASE_URL": database_url, "SAMAD_WEB_BIND": "127.0.0.1:0"}
    )
    async with serve_app(settings, db_pool, [inspector_feature()]) as url:
        yield url, answered.request_id


async def test_the_inspector_reads_the_citizens_verdict_in_the_reopened_request_history(
    served: tuple[str, int], browser: Browser
) -> None:
    base, request_id = served
    ARTIFACTS.mkdir(exist_ok=True)
    page = await browser.new_page(locale="fa-IR", viewport={"width": 1280, "height": 900})
    page.on("pageerror", lambda exc: pytest.fail(f"script error on {page.url}: {exc}"))
    await page.goto(base + "/inspector")
    await page.fill("#username", "inspector-sara")
    await page.fill("#password", PASSWORD)
    await page.click("button[type=submit]")
    await page.wait_for_url("**/inspector/centers/*")
    await page.click("a[data-queue=reopened]")
    await page.click(f"tr[data-request-id='{request_id}'] a")
    await page.wait_for_url(f"{base}/inspector/requests/{request_id}")
    history = await page.locator("section.history").inner_text()
    await page.screenshot(path=str(ARTIFACTS / "satisfaction-history.png"), full_page=True)
    for line in (
        "پرسش از شهروند: آیا پاسخ قانع‌کننده بود؟",
        "از شهروند با پیامک پرسیده شد",
        "از شهروند با تماس تلفنی پرسیده شد",
        "تماس با شهروند برای نظرخواهی",
        "تماس ۱ برای پرسش رضایت: شهروند مشغول بود",
        "شهروند اعلام کرد پاسخ قانع‌کننده نبود",
        "شهروند (پیامک)",
    ):
        assert line in history, line
