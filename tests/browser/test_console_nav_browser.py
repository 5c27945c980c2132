"""One navigation on every console, in real Chromium: a superuser creates a center with
the form (Persian error, then success) and sees the same top links on the admin, national
and inspector pages; a national listener and an inspector see only theirs.
Screenshots: test-artifacts/nav-*.png."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, Page, expect

from samad_ivr.settings import Settings
from samad_ivr.storage.accounts import AccountRepository, NewUser, Role
from samad_ivr.storage.db import Pool
from samad_ivr.storage.roster import RosterRepository
from samad_ivr.web.admin.routes import setup_admin
from samad_ivr.web.auth_views import hash_password
from samad_ivr.web.inspector.routes import inspector_feature
from samad_ivr.web.national.routes import national_feature
from samad_ivr.web.reports import agency_reports_feature

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
PASSWORD = "browser nav password 1"
NAV = "header.top nav.console-nav a"


@pytest.fixture
async def served(
    database_url: str, db_pool: Pool, tmp_path: Path, serve_app: Any
) -> AsyncIterator[str]:
    settings = Settings.from_env({
        "SAMAD_DATABASE_URL": database_url, "SAMAD_WEB_BIND": "127.0.0.1:0",
        "SAMAD_SOUNDS_DIR": str(tmp_path / "sounds"),
    })  # fmt: skip
    center = await RosterRepository(db_pool).ensure_center("hamedan", "همدان", "samad-hamedan")
    accounts = AccountRepository(db_pool)
    for name, role, center_id in [
        ("root", Role.SUPERUSER, None), ("listener", Role.NATIONAL_LISTENER, None),
        ("inspector", Role.INSPECTOR, center),
    ]:  # fmt: skip
        await accounts.create_user(
            NewUser(name, name, role, center_id), await hash_password(PASSWORD)
        )
    features = [setup_admin, national_feature(), inspector_feature(), agency_reports_feature()]
    async with serve_app(settings, db_pool, features) as url:
        yield url


async def log_in(browser: Browser, base: str, username: str, path: str) -> Page:
    page = await browser.new_page(locale="fa-IR", viewport={"width": 1280, "height": 900})
    await page.goto(base + path)
    await page.fill("#username", username)
    await page.fill("#password", PASSWORD)
    await page.click("button[type=submit]")
    await page.wait_for_url(lambda url: "/login" not in url)  # the inspector is redirected
    return page


async def shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / f"nav-{name}.png"), full_page=True)


async def test_superuser_creates_a_center_and_keeps_one_navigation_everywhere(
    served: str, browser: Browser
) -> None:
    page = await log_in(browser, served, "root", "/admin")
    expected = await page.locator(NAV).all_text_contents()
    assert expected == [
        "مدیریت مراکز", "صف تماس‌ها", "جست‌وجوی تماس‌ها", "داشبورد", "بازرسی", "گزارش دستگاه‌ها",
    ]  # fmt: skip
    await page.click("#new-center")
    await page.fill("input[name=name]", "مرکز سامد ایلام")
    await page.fill("input[name=code]", "ilam")
    await page.fill("input[name=duty_end]", "۰۸:۰۰")
    await page.click("form.center-form button[type=submit]")
    await expect(page.locator(".errors")).to_contain_text("ساعت پایان کشیک باید بعد")
    assert await page.input_value("input[name=name]") == "مرکز سامد ایلام"
    await shot(page, "center-form-error")
    await page.fill("input[name=duty_end]", "۱۱:۳۰")
    await page.click("form.center-form button[type=submit]")
    await expect(page.locator("h1")).to_have_text("مرکز سامد ایلام ساخته شد")
    await expect(page.locator("#queue-lines")).to_contain_text("[samad-ilam](samad-desk)")
    await shot(page, "center-created")
    for path in ("/admin", "/national/dashboard", "/inspector", "/reports/agencies"):
        await page.goto(served + path)
        assert await page.locator(NAV).all_text_contents() == expected, path
    await shot(page, "superuser-reports")
    await page.goto(served + "/national/dashboard")
    await shot(page, "superuser-dashboard")


@pytest.mark.parametrize(
    ("username", "start", "links"),
    [
        ("listener", "/national/calls",
         ["جست‌وجوی تماس‌ها", "داشبورد", "بازرسی", "گزارش دستگاه‌ها"]),
        ("inspector", "/inspector", ["بازرسی", "گزارش دستگاه‌ها"]),
    ],
)  # fmt: skip
async def test_other_roles_see_only_the_consoles_they_may_use(
    served: str, browser: Browser, username: str, start: str, links: list[str]
) -> None:
    page = await log_in(browser, served, username, start)
    assert await page.locator(NAV).all_text_contents() == links
    await page.goto(served + "/reports/agencies")
    assert await page.locator(NAV).all_text_contents() == links
    await shot(page, f"{username}-reports")
