"""The roster calendar's new-slot form with the Jalali date picker, in real Chromium:
the admin picks the day from the calendar and the slot lands on that day."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, expect

from samad_ivr.settings import Settings
from samad_ivr.storage.accounts import AccountRepository, NewUser, Role
from samad_ivr.storage.db import Pool
from samad_ivr.storage.roster import RosterRepository
from samad_ivr.web.admin.routes import setup_admin
from samad_ivr.web.auth_views import hash_password

PASSWORD = "browser roster picker password"


@pytest.fixture
async def served(
    database_url: str, db_pool: Pool, tmp_path: Path, serve_app: Any
) -> AsyncIterator[tuple[str, int, int]]:
    settings = Settings.from_env({
        "SAMAD_DATABASE_URL": database_url, "SAMAD_WEB_BIND": "127.0.0.1:0",
        "SAMAD_SOUNDS_DIR": str(tmp_path / "sounds"),
    })  # fmt: skip
    roster = RosterRepository(db_pool)
    center = await roster.ensure_center("hamedan", "مرکز سامد همدان", "samad-hamedan")
    agency = await roster.ensure_agency(center, "استانداری همدان")
    ali = await roster.add_official(center, "علی رضایی", "استاندار", agency, "PJSIP/desk-1")
    user = NewUser("hamedan-admin", "مدیر همدان", Role.PROVINCE_ADMIN, center)
    await AccountRepository(db_pool).create_user(user, await hash_password(PASSWORD))
    async with serve_app(settings, db_pool, [setup_admin]) as url:
        yield url, center, ali


async def test_admin_roster_slot_date_picked_from_calendar_lands_on_that_day(
    served: tuple[str, int, int], browser: Browser
) -> None:
    url, center, ali = served
    roster = f"{url}/admin/centers/{center}/roster?month=1404-02"
    page = await browser.new_page(locale="fa-IR", viewport={"width": 1280, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    await page.goto(roster)
    await page.fill("#username", "hamedan-admin")
    await page.fill("#password", PASSWORD)
    await page.click("button[type=submit]")
    await page.wait_for_url(roster)

    form = page.locator("#new form")
    await form.locator("select[name=official_id]").select_option(str(ali))
    date = form.locator("input[name=date]")
    await date.click()
    picker = page.locator("jdp-container")
    await expect(picker).to_be_visible()
    await picker.locator(".jdp-year select").select_option("1404")
    await picker.locator(".jdp-month select").select_option("2")
    await expect(picker.locator(".jdp-month select option:checked")).to_have_text("اردیبهشت")
    days = picker.locator(".jdp-day:not(.not-in-month)")
    await days.filter(has_text=re.compile("^۷$")).click()
    await expect(picker).to_be_hidden()
    await expect(date).to_have_value("۱۴۰۴/۰۲/۰۷")
    await form.locator("button[type=submit]").click()
    await expect(page.locator(".notice")).to_have_text("نوبت کشیک ثبت شد.")
    await expect(page.locator("#d-1404-02-07 .slot")).to_contain_text("علی رضایی")
    assert errors == []
    await page.close()
