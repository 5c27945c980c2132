"""The agency report in real headless Chromium: a national listener logs in, types a
Jalali range in Persian digits, reads the tables and charts (right to left, Persian
digits) and downloads the CSV.  Screenshot: test-artifacts/reports-agencies.png."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser
from reports.factories import NOW, build_world

from samad_ivr.settings import Settings
from samad_ivr.storage.accounts import AccountRepository, NewUser, Role
from samad_ivr.storage.db import Pool
from samad_ivr.web.auth_views import hash_password
from samad_ivr.web.reports import agency_reports_feature

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
PASSWORD = "browser reports password"


@pytest.fixture
async def served(database_url: str, db_pool: Pool, serve_app: Any) -> AsyncIterator[str]:
    settings = Settings.from_env(
        {"SAMAD_DATABASE_URL": database_url, "SAMAD_WEB_BIND": "127.0.0.1:0"}
    )
    await build_world(db_pool, hostile_name=True)
    user = NewUser("national-listener", "شنوندهٔ ملی", Role.NATIONAL_LISTENER)
    await AccountRepository(db_pool).create_user(user, await hash_password(PASSWORD))
    features = [agency_reports_feature(clock=lambda: NOW)]
    async with serve_app(settings, db_pool, features) as url:
        yield url


async def test_a_national_listener_reads_the_agency_report_and_downloads_it(
    served: str, browser: Browser, tmp_path: Path
) -> None:
    page = await browser.new_page(locale="fa-IR", viewport={"width": 1280, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    await page.goto(f"{served}/reports/agencies")
    await page.fill("#username", "national-listener")
    await page.fill("#password", PASSWORD)
    await page.click("button[type=submit]")
    await page.wait_for_url(f"{served}/reports/agencies")
    assert await page.get_attribute("html", "dir") == "rtl"

    # A range typed as people type it, Persian digits and slashes.
    await page.fill("input[name=from]", "۱۴۰۴/۰۱/۱۰")
    await page.fill("input[name=to]", "۱۴۰۴/۰۱/۲۰")
    await page.press("input[name=to]", "Enter")
    await page.wait_for_url("**/reports/agencies?from=*")
    assert "from=%DB%B1%DB%B4%DB%B0%DB%B4" in page.url  # sent as typed, read by the server
    # The server read them (the date picker may show the value in Persian digits again).
    assert "از ۱۴۰۴/۰۱/۱۰ تا ۱۴۰۴/۰۱/۲۰" in await page.locator("p.report-range").inner_text()
    assert await page.locator("input[data-jdp]").count() == 2

    tiles = await page.locator("ul.tiles").inner_text()
    assert "۹" in tiles
    assert "۷۵٪" in tiles
    assert "۴٫۰ روز" in tiles
    rows = await page.locator("#table-agencies tbody tr").all_inner_texts()
    assert any(r.startswith("<b>اداره</b> (همدان)") for r in rows)  # text, not markup
    assert "۳۳٪" in rows[0]  # its reopened share
    assert await page.locator("svg[role=img]").count() == 4

    # Right to left: each agency's label stands right of its bar.
    label = page.locator("#chart-agencies svg.chart-svg text").first
    bar = page.locator("#chart-agencies svg.chart-svg rect").first
    label_box, bar_box = await label.bounding_box(), await bar.bounding_box()
    assert label_box is not None
    assert bar_box is not None
    assert label_box["x"] > bar_box["x"] + bar_box["width"]
    tips = await page.locator("#chart-agencies rect title").all_text_contents()
    assert "جهاد کشاورزی (همدان) — مهلت گذشته، بی‌پاسخ: ۲" in tips

    ARTIFACTS.mkdir(exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / "reports-agencies.png"), full_page=True)

    async with page.expect_download() as info:
        await page.click("a.csv-link")
    download = await info.value
    assert download.suggested_filename == "agencies-1404-01-10-1404-01-20.csv"
    saved = tmp_path / "report.csv"
    await download.save_as(saved)
    raw = saved.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    assert "جهاد کشاورزی" in raw.decode("utf-8-sig")
    assert errors == []
