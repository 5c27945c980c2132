"""/status in real headless Chromium, on a desktop and on a phone-sized screen: the
citizen types the code (in Persian digits on the phone) and the last four digits, reads
the status, the deadline and the answer, and downloads the attachment."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, Page
from web.citizen_support import CITIZEN_MOBILE, PDF, citizen_request

from samad_ivr.settings import Settings
from samad_ivr.storage.attachments import AttachmentStore
from samad_ivr.storage.db import Pool
from samad_ivr.web.public.status import status_feature

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
ANSWER = (
    "شهروند گرامی، درخواست شما بررسی شد.\n"
    "تسهیلات نهضت ملی مسکن شما تأیید شد و قرارداد تا پایان ماه به بانک عامل فرستاده می‌شود."
)
DESKTOP = {"width": 1280, "height": 860}
PHONE = {"width": 360, "height": 740}
PERSIAN = "۰۱۲۳۴۵۶۷۸۹"


@pytest.fixture
async def served(
    database_url: str, db_pool: Pool, tmp_path: Path, serve_app: Any
) -> AsyncIterator[tuple[str, str]]:
    settings = Settings.from_env({
        "SAMAD_DATABASE_URL": database_url, "SAMAD_WEB_BIND": "127.0.0.1:0",
        "SAMAD_ATTACHMENTS_DIR": str(tmp_path / "attachments"),
    })  # fmt: skip
    store = AttachmentStore(settings.lifecycle.attachments_dir)
    request = await citizen_request(db_pool, answer=ANSWER, attachment_store=store)
    async with serve_app(settings, db_pool, [status_feature()]) as url:
        yield url, request.code


async def _new_page(browser: Browser, phone: bool) -> tuple[Page, list[str]]:
    page = await browser.new_page(
        locale="fa-IR",
        viewport=PHONE if phone else DESKTOP,
        is_mobile=phone,
        has_touch=phone,
        device_scale_factor=2 if phone else 1,
    )
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    # Every stylesheet, script and font loads (the page itself may be a 404: a wrong pair).
    page.on(
        "response",
        lambda r: (
            errors.append(f"{r.status} {r.url}")
            if r.status >= 400
            and r.request.resource_type not in ("document", "other")
            and not r.url.endswith("/favicon.ico")
            else None
        ),
    )
    return page, errors


async def _fits_the_screen(page: Page) -> None:
    width = await page.evaluate("() => document.documentElement.scrollWidth")
    viewport = await page.evaluate("() => window.innerWidth")
    assert width <= viewport, f"the page is {width}px wide on a {viewport}px screen"


@pytest.mark.parametrize("phone", [False, True], ids=["desktop", "phone"])
async def test_a_citizen_reads_the_status_and_downloads_the_answer_s_file(
    served: tuple[str, str], browser: Browser, phone: bool
) -> None:
    url, code = served
    page, errors = await _new_page(browser, phone)
    await page.goto(f"{url}/status")
    assert await page.get_attribute("html", "dir") == "rtl"
    typed = "".join(PERSIAN[int(d)] for d in code) if phone else code
    await page.fill("#code", typed)
    await page.fill("#digits", CITIZEN_MOBILE[-4:])
    await page.click("#status-form button[type=submit]")
    await page.wait_for_selector("#status-result")
    assert await page.inner_text("#status-text") == "پاسخ داده شده"
    assert "۱۴۰۵/۰۹/۱۹" in await page.inner_text("#status-deadline")
    assert "قرارداد تا پایان ماه" in await page.inner_text("#status-answer")
    assert await page.inner_text("#status-code") == "".join(PERSIAN[int(d)] for d in code)
    await _fits_the_screen(page)
    name = "status-phone.png" if phone else "status-desktop.png"
    ARTIFACTS.mkdir(exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / name), full_page=True)

    async with page.expect_download() as download_info:
        await page.click("text=نامهٔ پاسخ.pdf")
    download = await download_info.value
    path = await download.path()
    assert path is not None
    assert path.read_bytes().startswith(PDF)
    assert errors == []
    await page.close()


async def test_a_wrong_pair_shows_one_message_on_a_phone(
    served: tuple[str, str], browser: Browser
) -> None:
    url, code = served
    page, errors = await _new_page(browser, phone=True)
    await page.goto(f"{url}/status")
    await page.fill("#code", code)
    await page.fill("#digits", "0000")
    await page.click("#status-form button[type=submit]")
    await page.wait_for_selector("#status-error")
    assert "پیدا نشد" in await page.inner_text("#status-error")
    assert await page.locator("#status-result").count() == 0
    await _fits_the_screen(page)
    ARTIFACTS.mkdir(exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / "status-phone-wrong-pair.png"), full_page=True)
    assert errors == []
    await page.close()
