"""Assignment in real Chromium: the desk's note form assigns the ringing call's request,
and the admin's topics, agency and queue pages work and read right to left.

Screenshots go to test-artifacts/ (gitignored): desk-assign.png, admin-topics.png,
admin-agency.png, admin-requests.png.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from lifecycle.factories import make_request
from playwright.async_api import Browser, Page, expect

from samad_ivr.live.hub import LiveHub
from samad_ivr.settings import Settings
from samad_ivr.storage.accounts import AccountRepository, NewUser, Role
from samad_ivr.storage.calls import CallRepository, CallUpsert
from samad_ivr.storage.db import Pool
from samad_ivr.storage.requests import RequestRepository
from samad_ivr.storage.roster import RosterRepository
from samad_ivr.web.admin.routes import setup_admin
from samad_ivr.web.auth_views import hash_password
from samad_ivr.web.desk.views import desk_feature

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
PASSWORD = "browser test password 1"
DESK = "PJSIP/desk-7"


@pytest.fixture
async def served(database_url: str, db_pool: Pool, serve_app: Any) -> AsyncIterator[dict[str, Any]]:
    settings = Settings.from_env(
        {"SAMAD_DATABASE_URL": database_url, "SAMAD_WEB_BIND": "127.0.0.1:0"}
    )
    roster = RosterRepository(db_pool)
    center = await roster.ensure_center("hamedan", "مرکز سامد همدان", "samad-hamedan")
    agency = await roster.ensure_agency(center, "ادارهٔ کل راه و شهرسازی")
    await roster.ensure_agency(center, "ادارهٔ کل تعاون، کار و رفاه اجتماعی")
    official = await roster.add_official(center, "علی رضایی", "استاندار", agency, DESK)
    accounts, password_hash = AccountRepository(db_pool), await hash_password(PASSWORD)
    await accounts.create_user(
        NewUser("ostandar", "علی رضایی", Role.OFFICIAL, center, official_id=official),
        password_hash,
    )
    await accounts.create_user(
        NewUser("hamedan-admin", "مدیر همدان", Role.PROVINCE_ADMIN, center), password_hash
    )
    call = await CallRepository(db_pool).upsert_call(
        CallUpsert(
            uniqueid="1750000100.1", linkedid="1750000100.1", center_id=center,
            caller_raw="09181234501", caller_e164="+989181234501",
            started_at=datetime.now(UTC), official_id=official,
        )
    )  # fmt: skip
    await RequestRepository(db_pool).register(
        call, "+989181234501", official, None, None, lambda c: c, lambda: "1234567890"
    )
    await make_request(db_pool, center, summary="درخواست تسهیلات تولید برای کارگاه")
    hub = LiveHub()
    async with serve_app(settings, db_pool, [setup_admin, desk_feature(hub)]) as url:
        yield {"url": url, "center": center, "agency": agency, "hub": hub, "pool": db_pool}


async def shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


async def login(page: Page, url: str, username: str) -> None:
    await page.goto(url)
    await page.fill("#username", username)
    await page.fill("#password", PASSWORD)
    await page.click("button[type=submit]")
    await page.wait_for_url(url)


async def test_the_desk_form_assigns_the_ringing_calls_request_and_shows_its_deadline(
    served: dict[str, Any], browser: Browser
) -> None:
    served["hub"].event({
        "event": "DialBegin", "uniqueid": "1750000100.1", "linkedid": "1750000100.1",
        "calleridnum": "09181234501", "destchannel": f"{DESK}-0000000a",
        "destuniqueid": "desk-leg", "destlinkedid": "1750000100.1",
    })  # fmt: skip
    page = await browser.new_page(locale="fa-IR", viewport={"width": 1280, "height": 900})
    await login(page, f"{served['url']}/desk", "ostandar")
    card = page.locator("#caller")
    await expect(card).to_be_visible()
    await expect(page.locator("#caller-number")).to_have_text("۰۹۱۸ ۱۲۳ ۴۵۰۱")
    await card.locator("textarea[name=summary]").fill("درخواست پیگیری وام مسکن مهر")
    await card.locator("select[name=topic]").select_option(label="نهضت ملی مسکن")
    await card.locator("select[name=agency_id]").select_option(str(served["agency"]))
    await card.locator("button[type=submit]").click()
    await expect(page.locator("#form-message")).to_have_text("درخواست به دستگاه ارجاع شد.")
    state = page.locator("#request-state")
    await expect(state).to_contain_text("ارجاع شده به دستگاه")
    await expect(state).to_contain_text("۱۰ روز مانده")
    await shot(page, "desk-assign")
    row = await served["pool"].fetchrow(
        "SELECT status, topic, agency_id FROM requests WHERE tracking_code = '1234567890'"
    )
    assert (row["status"], row["topic"], row["agency_id"]) == (
        "assigned", "housing", served["agency"],
    )  # fmt: skip


async def test_the_admin_edits_topics_an_agencys_contacts_and_assigns_from_the_queue(
    served: dict[str, Any], browser: Browser
) -> None:
    base = f"{served['url']}/admin/centers/{served['center']}"
    page = await browser.new_page(locale="fa-IR", viewport={"width": 1280, "height": 900})
    await login(page, f"{base}/topics", "hamedan-admin")
    assert await page.get_attribute("html", "dir") == "rtl"
    await page.fill("#topic-add input[name=name]", "آب و فاضلاب روستایی")
    await page.click("#topic-add button[type=submit]")
    await expect(page.locator(".notice")).to_have_text("موضوع افزوده شد.")
    await page.locator("tr[data-code=family] button[name=active]").click()
    await expect(page.locator("tr[data-code=family]")).to_have_class("retired")
    await page.locator("tr[data-code=topic_1] button[value=up]").click()
    await expect(page.locator("#topics tbody tr").nth(6)).to_have_attribute("data-code", "topic_1")
    await shot(page, "admin-topics")

    await page.goto(f"{base}/agencies/{served['agency']}")
    await page.fill("#contact input[name=mobile]", "۰۹۱۸ ۱۱۱ ۰۰۰۰")
    await page.click("#contact button[type=submit]")
    await expect(page.locator(".notice")).to_have_text("شمارهٔ همراه دستگاه ذخیره شد.")
    await expect(page.locator("#contact bdi.phone")).to_have_text("۰۹۱۸ ۱۱۱ ۰۰۰۰")
    await page.fill("#staff-form input[name=username]", "rah.hamedan")
    await page.fill("#staff-form input[name=full_name]", "مریم کاظمی")
    await page.click("#staff-form button[name=generate]")
    await expect(page.locator("#new-password code")).to_have_text(
        re.compile(r"^[A-Za-z0-9_-]{16}$")
    )
    await expect(page.locator("#staff tbody")).to_contain_text("rah.hamedan")
    await shot(page, "admin-agency")

    await page.goto(f"{base}/requests")
    row = page.locator("#queue tbody tr").filter(has_text="تسهیلات تولید")
    await row.locator("select[name=agency_id]").select_option(
        label="ادارهٔ کل تعاون، کار و رفاه اجتماعی"
    )
    await row.locator("select[name=topic]").select_option(label="تسهیلات بانکی تولید")
    await shot(page, "admin-requests")
    await row.locator("button[type=submit]").click()
    await expect(page.locator(".notice")).to_contain_text("ارجاع شد")
    await expect(page.locator("#queue")).not_to_contain_text("تسهیلات تولید")
