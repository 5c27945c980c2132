"""The queue board in real Chromium: waiting callers and the callbacks in line, live."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, expect

from samad_ivr.live.callback_feed import CallbackFeed
from samad_ivr.live.hub import LiveHub
from samad_ivr.settings import Settings
from samad_ivr.storage.accounts import AccountRepository, NewUser, Role
from samad_ivr.storage.callbacks import CallbackRepository
from samad_ivr.storage.db import Pool
from samad_ivr.storage.roster import RosterRepository
from samad_ivr.web.auth_views import hash_password
from samad_ivr.web.desk.views import desk_feature

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
PASSWORD = "browser test password 1"


@pytest.fixture
async def served(
    database_url: str, db_pool: Pool, tmp_path: Path, serve_app: Any
) -> AsyncIterator[dict[str, Any]]:
    settings = Settings.from_env({
        "SAMAD_DATABASE_URL": database_url, "SAMAD_WEB_BIND": "127.0.0.1:0",
        "SAMAD_SOUNDS_DIR": str(tmp_path / "sounds"),
    })  # fmt: skip
    center = await RosterRepository(db_pool).ensure_center("hamedan", "مرکز سامد همدان",
                                                           "samad-hamedan")  # fmt: skip
    user = NewUser("hamedan-admin", "مدیر همدان", Role.PROVINCE_ADMIN, center)
    await AccountRepository(db_pool).create_user(user, await hash_password(PASSWORD))
    hub = LiveHub()
    async with serve_app(settings, db_pool, [desk_feature(hub)]) as url:
        yield {"url": url, "center": center, "hub": hub}


async def test_the_board_shows_a_new_callback_live_beside_the_waiting_caller(
    served: dict[str, Any], browser: Browser, db_pool: Pool
) -> None:
    hub: LiveHub = served["hub"]
    hub.connection_changed(True)
    hub.event({"event": "QueueCallerJoin", "queue": "samad-hamedan", "uniqueid": "w1",
               "calleridnum": "09181234501"})  # fmt: skip
    page = await browser.new_page(locale="fa-IR", viewport={"width": 1100, "height": 700})
    await page.goto(f"{served['url']}/desk/queue")
    await page.fill("#username", "hamedan-admin")
    await page.fill("#password", PASSWORD)
    await page.click("button[type=submit]")
    await expect(page.locator("#queue-boards")).to_contain_text("۰۹۱۸ ۱۲۳ ۴۵۰۱")
    await expect(page.locator("table.callbacks")).to_contain_text("تماس برگشتی در نوبت نیست")

    now = datetime.now(UTC)
    repo = CallbackRepository(db_pool)
    for n, number in enumerate(("+989121110001", "+989121110002")):
        await repo.request(served["center"], f"7.{n}", number, now - timedelta(minutes=6 - n),
                           now + timedelta(hours=1), now)  # fmt: skip
    first = (await repo.open_line(served["center"]))[0]
    assert await repo.claim(first.id, "7.9", now, 3) == 1
    await CallbackFeed(db_pool, hub).refresh()  # what the service's feed does every 3 s
    rows = page.locator("table.callbacks tbody tr")
    await expect(rows).to_have_count(2)
    await expect(rows.nth(0)).to_contain_text("۰۹۱۲ ۱۱۱ ۰۰۰۱")
    await expect(rows.nth(0)).to_contain_text("در حال زنگ خوردن")
    await expect(rows.nth(1)).to_contain_text("در انتظار میز آزاد")
    await expect(page.locator("#queue-boards")).to_contain_text("تماس‌های برگشتی در نوبت — ۲")
    ARTIFACTS.mkdir(exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / "queue-board-callbacks.png"), full_page=True)
    await page.close()
