"""What the deadline jobs leave for the agency, in real headless Chromium: a closure moves
the deadline (the history says from what to what and why), the reminder is on the list.
Screenshots: test-artifacts/deadline_reminder_list.png, deadline_history.png."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from lifecycle.browsing import logged_in, portal_settings
from national.factories import make_call
from playwright.async_api import Browser

from samad_ivr.domain.deadlines import DeadlinePolicy
from samad_ivr.domain.spoken import format_jalali_date
from samad_ivr.jobs.deadline_reminders import remind_agencies
from samad_ivr.storage.accounts import AccountRepository, NewUser, Role
from samad_ivr.storage.db import Pool
from samad_ivr.storage.deadlines import DeadlineRecomputer
from samad_ivr.storage.holidays import HolidayRepository
from samad_ivr.storage.lifecycle import Actor, RequestLifecycle, RequestState
from samad_ivr.storage.roster import RosterRepository
from samad_ivr.web.agency.routes import setup_agency
from samad_ivr.web.auth_views import hash_password

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
PASSWORD = "browser deadline password"
TEHRAN = ZoneInfo("Asia/Tehran")
ALL_DAY = (time(0), time.max)


@pytest.fixture
async def served(
    database_url: str, db_pool: Pool, serve_app: Any, tmp_path: Path
) -> AsyncIterator[tuple[str, RequestState, RequestState]]:
    settings = portal_settings(database_url, tmp_path)
    roster = RosterRepository(db_pool)
    hamedan = await roster.ensure_center("hamedan", "همدان", "samad-hamedan")
    agency = await roster.ensure_agency(hamedan, "ادارهٔ کل راه و شهرسازی")
    async with db_pool.acquire() as conn:
        await conn.execute(
            "UPDATE agencies SET contact_mobile = '+989181110000' WHERE id = $1", agency
        )
    call = await make_call(db_pool, hamedan, settings.recordings_dir, caller="+989181234567")
    async with db_pool.acquire() as conn:
        request_id = int(
            await conn.fetchval("SELECT id FROM requests WHERE call_id = $1", call.call_id)
        )
    lifecycle = RequestLifecycle(db_pool, DeadlinePolicy())
    now = datetime.now(UTC)
    # Assigned eight days ago: the reminder day has come, the deadline has not.
    before = await lifecycle.assign(
        request_id, agency_id=agency, topic="housing", actor=Actor.named("intake"),
        now=now - timedelta(days=8),
    )  # fmt: skip
    assert before.due_on is not None
    accounts = AccountRepository(db_pool)
    admin = NewUser("hamedan-admin", "رضا کریمی", Role.PROVINCE_ADMIN, hamedan, None, None)
    admin_user = await accounts.create_user(admin, await hash_password(PASSWORD))
    holidays = HolidayRepository(db_pool, DeadlineRecomputer(db_pool, DeadlinePolicy()))
    await holidays.add(hamedan, before.due_on, "تعطیلی به دلیل آلودگی هوا", Actor.of(admin_user))
    assert await remind_agencies(db_pool, now, daytime=ALL_DAY) == 1
    after = await lifecycle.get(request_id)
    assert after is not None
    staff = NewUser("roads-staff", "مریم احمدی", Role.AGENCY_STAFF, hamedan, None, agency)
    await accounts.create_user(staff, await hash_password(PASSWORD))
    async with serve_app(settings, db_pool, [setup_agency]) as url:
        yield url, before, after


async def test_the_agency_sees_its_reminder_and_why_the_deadline_moved(
    served: tuple[str, RequestState, RequestState], browser: Browser
) -> None:
    url, before, after = served
    assert before.due_on is not None
    assert after.due_on is not None
    assert after.due_on > before.due_on
    page, errors = await logged_in(browser, url, "/agency", "roads-staff", PASSWORD)
    notices = await page.inner_text(".notices")
    new_due, old_due = format_jalali_date(after.due_on), format_jalali_date(before.due_on)
    assert "یادآوری: مهلت پاسخ درخواست" in notices
    assert new_due in notices
    assert "خوانده‌نشده" in notices
    row = page.locator(f'tr[data-request-id="{after.id}"]')
    assert new_due in await row.inner_text()
    ARTIFACTS.mkdir(exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / "deadline_reminder_list.png"), full_page=True)

    await row.locator("a").click()
    await page.wait_for_url(f"{url}/agency/requests/{after.id}")
    history = await page.inner_text(".history")
    assert "تغییر مهلت" in history
    assert f"مهلت پاسخ از {old_due} به {new_due} تغییر کرد" in history
    assert "تعطیلی به دلیل آلودگی هوا" in history
    assert "یادآوری به دستگاه" in history
    assert "با پیامک به دستگاه فرستاده شد" in history
    await page.locator(".history").scroll_into_view_if_needed()
    await page.screenshot(path=str(ARTIFACTS / "deadline_history.png"), full_page=True)
    assert errors == []
