"""The national dashboard in real headless Chromium: a national listener logs in, the
charts render from seeded calls (right to left, Persian digits) and the numbers table
appears on request.  Screenshot: test-artifacts/dashboard.png."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from national.factories import make_counted_call, make_official
from playwright.async_api import Browser

from samad_ivr.admin.jalali import fa_digits
from samad_ivr.settings import Settings
from samad_ivr.storage.accounts import AccountRepository, NewUser, Role
from samad_ivr.storage.db import Pool
from samad_ivr.storage.roster import RosterRepository
from samad_ivr.web.auth_views import hash_password
from samad_ivr.web.national.routes import national_feature

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
PASSWORD = "browser dashboard password"
TEHRAN = ZoneInfo("Asia/Tehran")
FIRST_DAY = datetime(2025, 3, 21, 9, 5, tzinfo=TEHRAN)  # 1404-01-01
RANGE = "from=1404-01-01&to=1404-01-30"
TOPICS = ("housing", "employment", "bank_loans", "agriculture", "family", None)


def answered_on(day: int) -> int:
    return 3 + day * 7 % 5


async def seed(pool: Pool) -> None:
    """30 days of calls in two provinces: answered, messages, abandoned, queue waits."""
    roster = RosterRepository(pool)
    hamedan = await roster.ensure_center("hamedan", "همدان", "samad-hamedan")
    tehran = await roster.ensure_center("tehran", "تهران", "samad-tehran")
    officials = {
        hamedan: [
            await make_official(pool, hamedan, "مریم احمدی"),
            await make_official(pool, hamedan, "حسین کریمی"),
        ],
        tehran: [
            await make_official(pool, tehran, "زهرا موسوی"),
            await make_official(pool, tehran, "<b>نام ناامن</b>"),
        ],
    }
    n = 0
    for day in range(30):
        outcomes = ["answered"] * answered_on(day) + ["message"] * (day % 3)
        outcomes += ["abandoned"] * (day % 4 == 0)
        for k, disposition in enumerate(outcomes):
            n += 1
            center = hamedan if n % 3 else tehran
            await make_counted_call(
                pool, center, FIRST_DAY + timedelta(days=day, minutes=k * 3), disposition,
                official_id=None if disposition == "abandoned" else officials[center][n // 3 % 2],
                queue_wait=None if n % 2 else float(n * 37 % 340),
                topic=TOPICS[n % len(TOPICS)], request=disposition != "abandoned",
            )  # fmt: skip


@pytest.fixture
async def served(database_url: str, db_pool: Pool, serve_app: Any) -> AsyncIterator[str]:
    settings = Settings.from_env(
        {"SAMAD_DATABASE_URL": database_url, "SAMAD_WEB_BIND": "127.0.0.1:0"}
    )
    await seed(db_pool)
    user = NewUser("national-listener", "شنوندهٔ ملی", Role.NATIONAL_LISTENER)
    await AccountRepository(db_pool).create_user(user, await hash_password(PASSWORD))
    async with serve_app(settings, db_pool, [national_feature()]) as url:
        yield url


async def test_national_listener_sees_the_seeded_numbers_as_charts(
    served: str, browser: Browser
) -> None:
    page = await browser.new_page(locale="fa-IR", viewport={"width": 1280, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    await page.goto(f"{served}/national/dashboard?{RANGE}")
    await page.fill("#username", "national-listener")
    await page.fill("#password", PASSWORD)
    await page.click("button[type=submit]")
    await page.wait_for_url(f"{served}/national/dashboard?{RANGE}")
    assert await page.get_attribute("html", "dir") == "rtl"
    assert (
        await page.locator("div.charts > figure svg[role=img], .chart-pair svg[role=img]").count()
        >= 5
    )
    # Service level from the same call rows: answered/abandoned per day, abandoned after
    # 2 minutes (make_counted_call ends every call 2 minutes after it started).
    service = page.locator("section.service-level")
    outcome_tips = await service.locator("#chart-service-outcomes rect title").all_text_contents()
    assert f"۱۴۰۴/۰۱/۱۰ — پاسخ داده شد: {fa_digits(answered_on(9))}" in outcome_tips
    buckets = await service.locator("#chart-abandon-buckets").inner_text()
    assert "۲ دقیقه تا ۵ دقیقه" in buckets
    assert await service.locator("#sessions tr").count() == 1 + 60  # 30 days x 2 provinces
    await service.locator("details.sessions summary").click()  # more than 31: folded
    # 1404-01-10 is the tenth day (index 9)
    tips = await page.locator("#chart-calls rect title").all_text_contents()
    assert f"۱۴۰۴/۰۱/۱۰ — پاسخ داده شد: {fa_digits(answered_on(9))}" in tips
    first = page.locator("#chart-calls rect").first
    last = page.locator("#chart-calls rect").last
    first_box, last_box = await first.bounding_box(), await last.bounding_box()
    assert first_box is not None
    assert last_box is not None
    assert first_box["x"] > last_box["x"]  # the first day stands at the right
    assert first_box["height"] > 10
    officials = await page.locator("#chart-officials").inner_text()
    assert "<b>نام ناامن</b>" in officials  # shown as text, not markup
    table = page.locator("#chart-calls .chart-data")
    hidden_box = await table.bounding_box()
    assert hidden_box is not None
    assert hidden_box["height"] <= 1
    await page.check("#show-numbers")
    shown_box = await table.bounding_box()
    assert shown_box is not None
    assert shown_box["height"] > 100
    await page.uncheck("#show-numbers")
    ARTIFACTS.mkdir(exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / "dashboard.png"), full_page=True)
    await service.screenshot(path=str(ARTIFACTS / "dashboard-service-level.png"))
    await page.click("a.calls-link")
    await page.wait_for_url(f"{served}/national/calls?{RANGE}")
    assert errors == []
