"""The agency portal in real headless Chromium: a staff member logs in, finds the request
on the list, plays the call, answers with a PDF -> the request is `answered` and the
citizen's SMS is queued.  Screenshots: test-artifacts/agency_list.png, agency_answer.png."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from national.factories import make_call
from playwright.async_api import Browser

from samad_ivr.domain.deadlines import DeadlinePolicy
from samad_ivr.settings import Settings
from samad_ivr.storage.accounts import AccountRepository, NewUser, Role
from samad_ivr.storage.db import Pool
from samad_ivr.storage.lifecycle import Actor, RequestLifecycle
from samad_ivr.storage.roster import RosterRepository
from samad_ivr.web.agency.routes import setup_agency
from samad_ivr.web.auth_views import hash_password
from samad_ivr.web.national.routes import national_feature

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
PASSWORD = "browser agency password"
PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
CODE = "4820000017"


@pytest.fixture
async def served(
    database_url: str, db_pool: Pool, serve_app: Any, tmp_path: Path
) -> AsyncIterator[tuple[str, int]]:
    settings = Settings.from_env({
        "SAMAD_DATABASE_URL": database_url, "SAMAD_WEB_BIND": "127.0.0.1:0",
        "SAMAD_RECORDINGS_DIR": str(tmp_path / "recordings"),
        "SAMAD_ATTACHMENTS_DIR": str(tmp_path / "attachments"),
    })  # fmt: skip
    roster = RosterRepository(db_pool)
    hamedan = await roster.ensure_center("hamedan", "همدان", "samad-hamedan")
    agency = await roster.ensure_agency(hamedan, "ادارهٔ کل راه و شهرسازی")
    call = await make_call(db_pool, hamedan, settings.recordings_dir, caller="+989181234567",
                           tracking_code=CODE)  # fmt: skip
    async with db_pool.acquire() as conn:
        request_id = int(
            await conn.fetchval("SELECT id FROM requests WHERE call_id = $1", call.call_id)
        )
        await conn.execute(
            "UPDATE requests SET summary = $2 WHERE id = $1",
            request_id, "جادهٔ روستای علی‌آباد پس از سیل خراب شده و راه مدرسه بسته است.",
        )  # fmt: skip
    await RequestLifecycle(db_pool, DeadlinePolicy()).assign(
        request_id, agency_id=agency, topic="housing", actor=Actor.named("intake"),
        now=datetime.now(UTC),
    )  # fmt: skip
    staff = NewUser("roads-staff", "مریم احمدی", Role.AGENCY_STAFF, hamedan, None, agency)
    await AccountRepository(db_pool).create_user(staff, await hash_password(PASSWORD))
    async with serve_app(settings, db_pool, [setup_agency, national_feature()]) as url:
        yield url, request_id


async def _audited(pool: Pool) -> int:
    async with pool.acquire() as conn:
        return int(await conn.fetchval("SELECT count(*) FROM listen_audit"))


async def test_agency_staff_answer_with_a_pdf_and_the_citizen_gets_an_sms(
    served: tuple[str, int], browser: Browser, db_pool: Pool
) -> None:
    url, request_id = served
    page = await browser.new_page(locale="fa-IR", viewport={"width": 1280, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    await page.goto(f"{url}/agency")
    await page.fill("#username", "roads-staff")
    await page.fill("#password", PASSWORD)
    await page.click("button[type=submit]")
    await page.wait_for_url(f"{url}/agency")
    assert await page.get_attribute("html", "dir") == "rtl"
    row = page.locator(f'tr[data-request-id="{request_id}"]')
    assert "۱۰ روز مانده" in await row.inner_text()
    ARTIFACTS.mkdir(exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / "agency_list.png"), full_page=True)

    await row.locator("a").click()
    await page.wait_for_url(f"{url}/agency/requests/{request_id}")
    assert "این مهلت چگونه محاسبه شد" in await page.inner_text(".deadline")
    assert "۰۹۱۸ ۱۲۳ ۴۵۶۷" in await page.inner_text(".facts")
    async with page.expect_response(lambda r: "/api/v1/recordings/" in r.url) as signed:
        await page.click("button.play")
    assert (await signed.value).status == 200
    for _ in range(100):  # the audit row is written before the first byte is sent
        if await _audited(db_pool):
            break
        await asyncio.sleep(0.1)
    assert await _audited(db_pool) >= 1

    answer = "گروه راهداری از فردا جاده را بازسازی می‌کند؛ گزارش پیوست است."
    await page.fill("#answer-body", answer)
    # A page saved as ".pdf" is refused by its bytes, and the typed answer comes back.
    await page.set_input_files(
        "input[name=files]",
        files=[{"name": "نامه.pdf", "mimeType": "application/pdf", "buffer": b"<html>hi</html>"}],
    )
    await page.click(".answer-form button[type=submit]")
    await page.wait_for_selector(".errors")
    assert "پروندهٔ PDF، JPEG یا PNG نیست" in await page.inner_text(".errors")
    assert await page.input_value("#answer-body") == answer
    await page.screenshot(path=str(ARTIFACTS / "agency_refused.png"), full_page=True)
    await page.set_input_files(
        "input[name=files]",
        files=[{"name": "گزارش راهداری.pdf", "mimeType": "application/pdf", "buffer": PDF}],
    )
    await page.click(".answer-form button[type=submit]")
    await page.wait_for_url(f"{url}/agency/requests/{request_id}?done=answered")
    assert "پاسخ داده شده" in await page.inner_text(".casefile-head")
    assert "گزارش راهداری.pdf" in await page.inner_text(".answers")
    await page.screenshot(path=str(ARTIFACTS / "agency_answer.png"), full_page=True)
    async with db_pool.acquire() as conn:
        status = await conn.fetchval("SELECT status FROM requests WHERE id = $1", request_id)
        sms = await conn.fetchrow(
            "SELECT destination, body, status FROM sms_outbox WHERE request_id = $1", request_id
        )
    assert status == "answered"
    assert sms["destination"] == "+989181234567"
    assert sms["status"] == "queued"
    assert CODE in sms["body"]
    async with page.expect_download() as download:
        await page.click(".answers a[download]")
    saved = await (await download.value).path()
    assert saved is not None
    assert await asyncio.to_thread(Path(saved).read_bytes) == PDF
    assert errors == []


async def test_an_oversized_file_gets_the_persian_413_page_in_the_browser(
    database_url: str, db_pool: Pool, serve_app: Any, tmp_path: Path, browser: Browser
) -> None:
    settings = Settings.from_env({
        "SAMAD_DATABASE_URL": database_url, "SAMAD_WEB_BIND": "127.0.0.1:0",
        "SAMAD_RECORDINGS_DIR": str(tmp_path / "recordings"),
        "SAMAD_ATTACHMENTS_DIR": str(tmp_path / "attachments"),
        "SAMAD_ATTACHMENT_MAX_BYTES": str(1024 * 1024),
    })  # fmt: skip
    roster = RosterRepository(db_pool)
    hamedan = await roster.ensure_center("hamedan", "همدان", "samad-hamedan")
    agency = await roster.ensure_agency(hamedan, "ادارهٔ کل راه و شهرسازی")
    call = await make_call(db_pool, hamedan, settings.recordings_dir, tracking_code=CODE)
    async with db_pool.acquire() as conn:
        request_id = int(await conn.fetchval("SELECT id FROM requests WHERE call_id = $1",
                                             call.call_id))  # fmt: skip
    await RequestLifecycle(db_pool, DeadlinePolicy()).assign(
        request_id, agency_id=agency, topic="other", actor=Actor.named("intake"),
        now=datetime.now(UTC),
    )  # fmt: skip
    staff = NewUser("roads-staff", "مریم احمدی", Role.AGENCY_STAFF, hamedan, None, agency)
    await AccountRepository(db_pool).create_user(staff, await hash_password(PASSWORD))
    async with serve_app(settings, db_pool, [setup_agency, national_feature()]) as url:
        page = await browser.new_page(locale="fa-IR")
        await page.goto(f"{url}/agency/requests/{request_id}")
        await page.fill("#username", "roads-staff")
        await page.fill("#password", PASSWORD)
        await page.click("button[type=submit]")
        await page.wait_for_url(f"{url}/agency/requests/{request_id}")
        await page.fill("#answer-body", "پاسخ با پیوست بزرگ")
        big = PDF + b"0" * (8 * 1024 * 1024)  # eight times the limit
        await page.set_input_files(
            "input[name=files]",
            files=[{"name": "بزرگ.pdf", "mimeType": "application/pdf", "buffer": big}],
        )
        async with page.expect_response(lambda r: "/agency/answers/" in r.url) as reply:
            await page.click(".answer-form button[type=submit]")
        assert (await reply.value).status == 413
        await page.wait_for_selector(".errors")
        assert "بزرگ‌تر از ۱ مگابایت" in await page.inner_text(".errors")
        assert await page.input_value("#answer-body") == "پاسخ با پیوست بزرگ"
    async with db_pool.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM request_answers") == 0
