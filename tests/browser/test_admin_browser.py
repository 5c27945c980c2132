"""The admin console in real headless Chromium (Debian's /usr/bin/chromium via Playwright).

The app is served on 127.0.0.1 on an ephemeral port inside the test's event loop, on a
fresh PostgreSQL. Screenshots go to test-artifacts/ (gitignored).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from playwright.async_api import Browser, Page, expect

from samad_ivr.settings import Settings
from samad_ivr.storage.accounts import AccountRepository, NewUser, Role
from samad_ivr.storage.db import Pool
from samad_ivr.storage.roster import RosterRepository
from samad_ivr.web.admin.routes import setup_admin
from samad_ivr.web.auth_views import hash_password
from samad_ivr.web.public.views import public_feature

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
PASSWORD = "browser test password 1"
TZ = ZoneInfo("Asia/Tehran")


@pytest.fixture
async def served(
    database_url: str, db_pool: Pool, tmp_path: Path, serve_app: Any
) -> AsyncIterator[dict[str, object]]:
    settings = Settings.from_env({
        "SAMAD_DATABASE_URL": database_url, "SAMAD_WEB_BIND": "127.0.0.1:0",
        "SAMAD_SOUNDS_DIR": str(tmp_path / "sounds"),
    })  # fmt: skip
    roster = RosterRepository(db_pool)
    center = await roster.ensure_center("hamedan", "مرکز سامد همدان", "samad-hamedan")
    agency = await roster.ensure_agency(center, "استانداری همدان")
    ali = await roster.add_official(center, "علی رضایی", "استاندار", agency, "PJSIP/desk-1")
    maryam = await roster.add_official(center, "مریم احمدی", "معاون", agency, "PJSIP/desk-2")
    await roster.add_slot(
        center, ali, datetime(2025, 4, 1, 9, tzinfo=TZ), datetime(2025, 4, 1, 11, tzinfo=TZ)
    )
    user = NewUser("hamedan-admin", "مدیر همدان", Role.PROVINCE_ADMIN, center)
    await AccountRepository(db_pool).create_user(user, await hash_password(PASSWORD))

    async with serve_app(settings, db_pool, [setup_admin, public_feature()]) as url:
        yield {"url": url, "center": center, "ali": ali, "maryam": maryam}


async def shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / f"admin-{name}.png"), full_page=True)


async def test_admin_creates_a_slot_sees_overlap_and_csv_errors_in_rtl(
    served: dict[str, object], browser: Browser
) -> None:
    base = str(served["url"])
    roster = f"{base}/admin/centers/{served['center']}/roster"
    page = await browser.new_page(locale="fa-IR", viewport={"width": 1280, "height": 900})

    await page.goto(f"{roster}?month=1404-01")
    assert "/login" in page.url
    await page.fill("#username", "hamedan-admin")
    await page.fill("#password", PASSWORD)
    await page.click("button[type=submit]")
    await page.wait_for_url(f"{roster}?month=1404-01")
    assert await page.get_attribute("html", "dir") == "rtl"
    await expect(page.locator("h1")).to_contain_text("فروردین ۱۴۰۴")

    form = page.locator("#new form")
    await form.locator("select[name=official_id]").select_option(str(served["ali"]))
    await form.locator("input[name=date]").fill("۱۴۰۴/۰۱/۱۵")
    await form.locator("button[type=submit]").click()
    await expect(page.locator(".notice")).to_have_text("نوبت کشیک ثبت شد.")
    await expect(page.locator("#d-1404-01-15 .slot")).to_contain_text("۰۹:۰۰–۱۱:۰۰ علی رضایی")
    await shot(page, "calendar")

    form = page.locator("#new form")
    await form.locator("select[name=official_id]").select_option(str(served["ali"]))
    await form.locator("input[name=date]").fill("1404-01-15")
    await form.locator("input[name=start]").fill("10:00")
    await form.locator("input[name=end]").fill("12:00")
    await form.locator("button[type=submit]").click()
    await expect(page.locator(".errors")).to_contain_text(
        "این نوبت با نوبت «علی رضایی» در ۱۴۰۴/۰۱/۱۵ ساعت ۰۹:۰۰ تا ۱۱:۰۰ هم‌پوشانی دارد"
    )
    await shot(page, "overlap")

    await page.goto(f"{roster}/import")
    csv_text = (
        "jalali_date,start,end,desk\n"
        "1404-01-20,09:00,11:00,PJSIP/desk-2\n"
        "1404-01-21,9,11,SIP/nobody\n"
    )
    await page.set_input_files(
        "input[name=file]",
        files=[{"name": "roster.csv", "mimeType": "text/csv", "buffer": csv_text.encode()}],
    )
    await page.click("form.panel button[type=submit]")
    await expect(page.locator(".errors")).to_contain_text("ردیف ۳: مسئولی با میز «SIP/nobody»")
    await expect(page.locator(".errors")).to_contain_text("هیچ ردیفی وارد نشد")
    await shot(page, "csv-error")
    await page.goto(f"{roster}?month=1404-01")
    await expect(page.locator("#d-1404-01-20 .slot")).to_have_count(0)

    await page.goto(f"{base}/duty")
    assert await page.get_attribute("html", "dir") == "rtl"
    assert await page.get_attribute("html", "lang") == "fa"
    await shot(page, "public-duty")
    await page.close()
