"""Forms people fill every day, in real headless Chromium: the Jalali date picker on the
national search (picked from the calendar, or typed by hand) and phone numbers shown the
way people in Iran read them.  Screenshot: test-artifacts/date-picker.png."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from national.factories import make_call
from playwright.async_api import Browser, Locator, Page, expect

from samad_ivr.settings import Settings
from samad_ivr.storage.accounts import AccountRepository, NewUser, Role
from samad_ivr.storage.db import Pool
from samad_ivr.storage.roster import RosterRepository
from samad_ivr.web.auth_views import hash_password
from samad_ivr.web.national.routes import national_feature

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
PASSWORD = "browser date picker password"
TEHRAN = ZoneInfo("Asia/Tehran")
PICKER = "jdp-container"


@dataclass(frozen=True, slots=True)
class Served:
    url: str
    calls_by_day: dict[int, int]  # day of Farvardin 1404 -> call id


@pytest.fixture
async def served(
    database_url: str, db_pool: Pool, tmp_path: Path, serve_app: Any
) -> AsyncIterator[Served]:
    settings = Settings.from_env({
        "SAMAD_DATABASE_URL": database_url, "SAMAD_WEB_BIND": "127.0.0.1:0",
        "SAMAD_RECORDINGS_DIR": str(tmp_path),
    })  # fmt: skip
    center = await RosterRepository(db_pool).ensure_center("hamedan", "همدان", "samad-hamedan")
    calls_by_day = {}
    for day, caller in ((9, "+989181110009"), (10, "+989181234567"), (11, "+988131234567")):
        # 1404-01-09 is 2025-03-29; midday in Tehran, far from any day boundary.
        started = datetime(2025, 3, 20 + day, 12, 30, tzinfo=TEHRAN)
        stored = await make_call(db_pool, center, tmp_path, started_at=started, caller=caller)
        calls_by_day[day] = stored.call_id
    user = NewUser("national-listener", "شنوندهٔ ملی", Role.NATIONAL_LISTENER)
    await AccountRepository(db_pool).create_user(user, await hash_password(PASSWORD))
    async with serve_app(settings, db_pool, [national_feature()]) as url:
        yield Served(url, calls_by_day)


async def logged_in_search(served: Served, browser: Browser) -> tuple[Page, list[str]]:
    page = await browser.new_page(locale="fa-IR", viewport={"width": 1280, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    await page.goto(f"{served.url}/national/calls")
    await page.fill("#username", "national-listener")
    await page.fill("#password", PASSWORD)
    await page.click("button[type=submit]")
    await page.wait_for_url(f"{served.url}/national/calls")
    return page, errors


async def pick_day(page: Page, field: Locator, year: int, month: int, day: int) -> None:
    """Open the calendar on `field` and pick the day the way a person does."""
    await field.click()
    picker = page.locator(PICKER)
    await expect(picker).to_be_visible()
    await picker.locator(".jdp-year select").select_option(str(year))
    await picker.locator(".jdp-month select").select_option(str(month))
    persian_day = str(day).translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹"))
    days = picker.locator(".jdp-day:not(.not-in-month)")
    await days.filter(has_text=re.compile(f"^{persian_day}$")).click()
    await expect(picker).to_be_hidden()


async def listed_calls(page: Page) -> set[int]:
    ids = await page.locator("table.calls tr[data-call-id]").evaluate_all(
        "rows => rows.map(r => Number(r.dataset.callId))"
    )
    return set(ids)


async def test_national_search_date_picked_from_calendar_filters_calls(
    served: Served, browser: Browser
) -> None:
    page, errors = await logged_in_search(served, browser)
    assert await listed_calls(page) == set(served.calls_by_day.values())
    start, end = page.locator("input[name=from]"), page.locator("input[name=to]")

    await start.click()
    picker = page.locator(PICKER)
    await expect(picker).to_be_visible()
    await picker.locator(".jdp-year select").select_option("1404")
    await picker.locator(".jdp-month select").select_option("1")
    await expect(picker.locator(".jdp-month select option:checked")).to_have_text("فروردین")
    assert await picker.evaluate("el => getComputedStyle(el).direction") == "rtl"
    names = await picker.locator(".jdp-day-name").all_text_contents()
    assert names[0] == "ش"  # the week starts on Saturday, at the right
    # Farvardin 1404 began on a Friday: the first day sits in the last (leftmost) column.
    first = await picker.locator(".jdp-day:not(.not-in-month)").first.bounding_box()
    saturday = await picker.locator(".jdp-day-name").first.bounding_box()
    assert first is not None
    assert saturday is not None
    assert first["x"] < saturday["x"]
    assert "۱۰" in await picker.locator(".jdp-days").inner_text()
    ARTIFACTS.mkdir(exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / "date-picker.png"), animations="disabled")
    await picker.locator(".jdp-btn-close").click()
    await expect(picker).to_be_hidden()

    await pick_day(page, start, 1404, 1, 10)
    await expect(start).to_have_value("۱۴۰۴/۰۱/۱۰")
    await pick_day(page, end, 1404, 1, 10)
    await expect(end).to_have_value("۱۴۰۴/۰۱/۱۰")
    await page.locator("form.search-form button[type=submit]").click()
    await page.wait_for_url(re.compile(r"/national/calls\?from="))

    assert await listed_calls(page) == {served.calls_by_day[10]}
    await page.screenshot(path=str(ARTIFACTS / "date-picker-result.png"))
    # The filter comes back filled in, and reopening the calendar shows the picked day.
    await expect(start).to_have_value("۱۴۰۴/۰۱/۱۰")
    await start.click()
    await expect(picker.locator(".jdp-day.selected")).to_have_text("۱۰")
    await expect(picker.locator(".jdp-month select option:checked")).to_have_text("فروردین")
    assert errors == []
    await page.close()


@pytest.mark.parametrize("typed", ["1404/01/11", "۱۴۰۴/۰۱/۱۱", "1404-1-11"])
async def test_typing_a_date_by_hand_still_filters_the_national_search(
    served: Served, browser: Browser, typed: str
) -> None:
    page, errors = await logged_in_search(served, browser)
    start = page.locator("input[name=from]")
    await start.fill(typed)  # the calendar opens on focus but does not take over the field
    await expect(start).to_have_value(typed)
    assert await start.get_attribute("readonly") is None
    await page.locator("input[name=to]").fill("۱۴۰۴/۰۱/۱۱")
    await page.locator("input[name=to]").press("Enter")
    await page.wait_for_url(re.compile(r"/national/calls\?from="))
    assert await listed_calls(page) == {served.calls_by_day[11]}
    assert await page.locator(".errors").count() == 0
    await expect(start).to_have_value("۱۴۰۴/۰۱/۱۱")
    assert errors == []
    await page.close()


async def test_a_typed_date_is_submitted_with_the_search_button(
    served: Served, browser: Browser
) -> None:
    page, errors = await logged_in_search(served, browser)
    picker, end = page.locator(PICKER), page.locator("input[name=to]")
    await page.locator("input[name=from]").fill("۱۴۰۴/۰۱/۰۹")
    await end.fill("1404/01/10")
    await expect(picker).to_be_hidden()  # typing: the calendar steps aside
    await end.click()
    await expect(picker).to_be_visible()  # and comes back on a click, at the typed day
    await expect(picker.locator(".jdp-day.selected")).to_have_text("۱۰")
    await end.press("Tab")
    await expect(picker).to_be_hidden()
    await end.fill("1404/01/10")
    # A person clicks the button next; the calendar must not be in the way.
    await page.locator("form.search-form button[type=submit]").click(timeout=5_000)
    await page.wait_for_url(re.compile(r"/national/calls\?from="))
    assert await listed_calls(page) == {served.calls_by_day[9], served.calls_by_day[10]}
    assert errors == []
    await page.close()


async def test_the_national_search_shows_caller_numbers_the_way_people_read_them(
    served: Served, browser: Browser
) -> None:
    page, errors = await logged_in_search(served, browser)
    row = page.locator(f"tr[data-call-id='{served.calls_by_day[10]}']")
    number = row.locator("bdi.phone")
    await expect(number).to_have_text("۰۹۱۸ ۱۲۳ ۴۵۶۷")
    assert await number.get_attribute("dir") == "ltr"
    await expect(
        page.locator(f"tr[data-call-id='{served.calls_by_day[11]}'] bdi.phone")
    ).to_have_text("۰۸۱ ۳۱۲۳ ۴۵۶۷")
    assert "+۹۸" not in await page.locator("table.calls").inner_text()
    # On the right-to-left page the groups still read left to right: ۰۹۱۸ leftmost.
    lefts = await number.evaluate(
        """bdi => {
            const text = bdi.firstChild, range = document.createRange();
            const left = (i) => { range.setStart(text, i); range.setEnd(text, i + 1);
                                   return range.getBoundingClientRect().left; };
            return [left(0), left(text.length - 1)];
        }"""
    )
    assert lefts[0] < lefts[1]
    # The search still takes the number in any form people type it.
    await page.locator("input[name=caller]").fill("۰۹۱۸ ۱۲۳ ۴۵۶۷")
    await page.locator("input[name=caller]").press("Enter")
    await page.wait_for_url(re.compile(r"caller="))
    assert await listed_calls(page) == {served.calls_by_day[10]}
    assert errors == []
    await page.close()
