"""The SMS text editor in real headless Chromium: the live part count as the admin types.

Same setup as test_admin_browser.py: Debian's /usr/bin/chromium through Playwright, the
app on 127.0.0.1 inside the test's event loop, a fresh PostgreSQL, screenshots in
test-artifacts/.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, expect

from samad_ivr.settings import Settings
from samad_ivr.sms.notifications import AdminNotifications
from samad_ivr.sms.templates import TemplateRepository
from samad_ivr.storage.accounts import AccountRepository, NewUser, Role
from samad_ivr.storage.db import Pool
from samad_ivr.web.admin.routes import setup_admin
from samad_ivr.web.admin.sms import setup_admin_sms
from samad_ivr.web.auth_views import hash_password

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
PASSWORD = "browser test password 2"


@pytest.fixture
async def served(
    database_url: str, db_pool: Pool, tmp_path: Path, serve_app: Any
) -> AsyncIterator[str]:
    settings = Settings.from_env({
        "SAMAD_DATABASE_URL": database_url, "SAMAD_WEB_BIND": "127.0.0.1:0",
        "SAMAD_SOUNDS_DIR": str(tmp_path / "sounds"),
    })  # fmt: skip
    user = NewUser("national-admin", "مدیر ارشد", Role.SUPERUSER)
    await AccountRepository(db_pool).create_user(user, await hash_password(PASSWORD))

    async with serve_app(settings, db_pool, [setup_admin, setup_admin_sms]) as url:
        yield url


async def test_typing_a_template_updates_the_live_part_count_and_saves(
    served: str, browser: Browser, db_pool: Pool
) -> None:
    edit = f"{served}/admin/sms/templates/tracking_code"
    page = await browser.new_page(locale="fa-IR", viewport={"width": 1280, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))

    await page.goto(edit)
    assert "/login" in page.url
    await page.fill("#username", "national-admin")
    await page.fill("#password", PASSWORD)
    await page.click("button[type=submit]")
    await page.wait_for_url(edit)
    assert await page.get_attribute("html", "dir") == "rtl"

    area = page.locator("#sms-body")
    # The code (10 digits) and a newline are 11 characters: 59 more make 70, one part.
    await area.fill("")
    await area.press_sequentially("{code}\n" + "س" * 59)
    await expect(page.locator("#sms-chars")).to_have_text("۷۰")
    await expect(page.locator("#sms-encoding")).to_have_text("UCS-2")
    await expect(page.locator("#sms-parts")).to_have_text("۱")
    await expect(page.locator("#sms-rule")).to_have_text("تا ۷۰ نویسه در یک بخش")

    await area.press_sequentially("س")
    await expect(page.locator("#sms-chars")).to_have_text("۷۱")
    await expect(page.locator("#sms-parts")).to_have_text("۲")
    await expect(page.locator("#sms-rule")).to_have_text("۶۷ نویسه در هر بخش")
    await expect(page.locator("#sms-preview")).not_to_contain_text("{code}")
    ARTIFACTS.mkdir(exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / "admin-sms-template.png"), full_page=True)

    await page.click(".sms-form button[type=submit]")
    await expect(page.locator(".notice")).to_have_text("متن پیامک ذخیره شد.")
    # The server's count after saving agrees with what the browser counted.
    await expect(page.locator("#sms-chars")).to_have_text("۷۱")
    await expect(page.locator("#sms-parts")).to_have_text("۲")
    saved = await TemplateRepository(db_pool).get("tracking_code")
    assert saved is not None
    assert saved.body == "{code}\n" + "س" * 60
    assert errors == []

    await AdminNotifications(db_pool).notify("sms_provider", "اعتبار درگاه پیامک تمام شد", "418")
    for name, path in (
        ("sms-templates", "/admin/sms/templates"),
        ("notifications", "/admin/notifications"),
    ):
        await page.goto(served + path)
        await page.screenshot(path=str(ARTIFACTS / f"admin-{name}.png"), full_page=True)
    await expect(page.locator("table.notifications")).to_contain_text("اعتبار درگاه پیامک")
    await page.close()
