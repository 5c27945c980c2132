"""Issue 15, item 2 in real Chromium: a province admin cannot take another province's
desk, and rotates a browser desk's credential from the official's page."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, expect

from samad_ivr.settings import Settings
from samad_ivr.storage.accounts import AccountRepository, NewUser, Role
from samad_ivr.storage.db import Pool
from samad_ivr.storage.desk_credentials import DeskCredentialRepository
from samad_ivr.storage.roster import RosterRepository
from samad_ivr.web.admin.routes import setup_admin
from samad_ivr.web.auth_views import hash_password

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
PASSWORD = "browser test password 1"


@pytest.fixture
async def served(
    database_url: str, db_pool: Pool, tmp_path: Path, serve_app: Any
) -> AsyncIterator[dict[str, object]]:
    settings = Settings.from_env({
        "SAMAD_DATABASE_URL": database_url, "SAMAD_WEB_BIND": "127.0.0.1:0",
        "SAMAD_SOUNDS_DIR": str(tmp_path / "sounds"),
    })  # fmt: skip
    roster = RosterRepository(db_pool)
    hamedan = await roster.ensure_center("hamedan", "مرکز سامد همدان", "samad-hamedan")
    tehran = await roster.ensure_center("tehran", "مرکز سامد تهران", "samad-tehran")
    await roster.add_official(tehran, "حسن تهرانی", "استاندار", None, "PJSIP/samad-web-tehran")
    ali = await roster.add_official(hamedan, "علی رضایی", "استاندار", None, "PJSIP/samad-web-h1")
    user = NewUser("hamedan-admin", "مدیر همدان", Role.PROVINCE_ADMIN, hamedan)
    await AccountRepository(db_pool).create_user(user, await hash_password(PASSWORD))
    async with serve_app(settings, db_pool, [setup_admin]) as url:
        yield {"url": url, "center": hamedan, "ali": ali}


async def test_another_provinces_desk_is_refused_and_a_credential_is_rotated(
    served: dict[str, object], browser: Browser, db_pool: Pool
) -> None:
    page_url = f"{served['url']}/admin/centers/{served['center']}/officials/{served['ali']}"
    page = await browser.new_page(locale="fa-IR", viewport={"width": 1280, "height": 1000})
    await page.goto(page_url)
    await page.fill("#username", "hamedan-admin")
    await page.fill("#password", PASSWORD)
    await page.click("button[type=submit]")
    await page.wait_for_url(page_url)
    before = await DeskCredentialRepository(db_pool).get("samad-web-h1")

    await page.fill("input[name=desk_endpoint]", "PJSIP/samad-web-tehran")
    await page.locator("form.panel button[type=submit]").first.click()
    await expect(page.locator("body")).to_contain_text("متعلق به مرکز دیگری است")
    ARTIFACTS.mkdir(exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / "desk-other-center-refused.png"), full_page=True)

    await page.goto(page_url)
    await page.get_by_role("button", name="تعویض رمز تلفن مرورگری").click()
    await expect(page.locator(".notice")).to_contain_text("رمز تلفن مرورگری این میز عوض شد")
    await page.screenshot(path=str(ARTIFACTS / "desk-credential-rotated.png"), full_page=True)
    assert await DeskCredentialRepository(db_pool).get("samad-web-h1") != before
    await page.close()
