"""The pages people use work under the Content-Security-Policy (issue 15, item 8): real
headless Chromium reports no violation on any of them, inline style blocks apply (they
carry the response's nonce) and the scripts (date picker, players) still run."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, ConsoleMessage

from samad_ivr.settings import Settings
from samad_ivr.storage.accounts import AccountRepository, NewUser, Role
from samad_ivr.storage.db import Pool
from samad_ivr.storage.roster import RosterRepository
from samad_ivr.web.admin.routes import setup_admin
from samad_ivr.web.admin.sms import setup_admin_sms
from samad_ivr.web.auth_views import hash_password
from samad_ivr.web.national.routes import national_feature
from samad_ivr.web.public.views import public_feature

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
PASSWORD = "browser csp password 1"


@pytest.fixture
async def served(
    database_url: str, db_pool: Pool, tmp_path: Path, serve_app: Any
) -> AsyncIterator[dict[str, object]]:
    settings = Settings.from_env({
        "SAMAD_DATABASE_URL": database_url, "SAMAD_WEB_BIND": "127.0.0.1:0",
        "SAMAD_SOUNDS_DIR": str(tmp_path / "sounds"),
        "SAMAD_RECORDINGS_DIR": str(tmp_path / "recordings"),
    })  # fmt: skip
    roster = RosterRepository(db_pool)
    center = await roster.ensure_center("hamedan", "مرکز سامد همدان", "samad-hamedan")
    agency = await roster.ensure_agency(center, "استانداری همدان")
    await roster.add_official(center, "علی رضایی", "استاندار", agency, "PJSIP/desk-1")
    user = NewUser("csp-root", "مدیر کل", Role.SUPERUSER)
    await AccountRepository(db_pool).create_user(user, await hash_password(PASSWORD))
    features = [setup_admin, setup_admin_sms, public_feature(), national_feature()]
    async with serve_app(settings, db_pool, features) as url:
        yield {"url": url, "center": center, "agency": agency}


async def test_no_page_breaks_the_content_security_policy(
    served: dict[str, object], browser: Browser
) -> None:
    base, center = str(served["url"]), served["center"]
    page = await browser.new_page(locale="fa-IR", viewport={"width": 1280, "height": 900})
    complaints: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        # Chromium asks for /favicon.ico on its own; we serve none.
        if message.type == "error" and not message.location.get("url", "").endswith("favicon.ico"):
            complaints.append(f"{page.url}: {message.text} ({message.location.get('url')})")

    page.on("console", on_console)
    page.on("pageerror", lambda error: complaints.append(f"{page.url}: {error}"))
    await page.goto(f"{base}/admin/sms/templates")  # to the login form and back
    await page.fill("#username", "csp-root")
    await page.fill("#password", PASSWORD)
    await page.click("button[type=submit]")
    await page.wait_for_load_state()
    pages = [
        f"/admin/centers/{center}/roster?month=1404-01",
        f"/admin/centers/{center}/agencies/{served['agency']}",
        f"/admin/centers/{center}/topics",
        f"/admin/centers/{center}/requests",
        "/admin/sms/templates",
        "/admin/notifications",
        "/national/calls",
        "/duty",
    ]
    for path in pages:
        response = await page.goto(base + path)
        assert response is not None
        assert response.status == 200, path
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    # The roster page's date picker is script: it still opens.
    await page.goto(f"{base}/admin/centers/{center}/roster?month=1404-01")
    await page.locator("#new input[name=date]").click()
    await page.wait_for_selector("jdp-container", state="visible", timeout=5000)
    # A style block with the nonce applies: the admin layout's navigation is styled.
    await page.goto(f"{base}/admin/sms/templates")
    styled = await page.evaluate(
        "[...document.querySelectorAll('style')].every(s => s.sheet && s.sheet.cssRules.length)"
    )
    assert styled
    ARTIFACTS.mkdir(exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / "csp-sms-templates.png"), full_page=True)
    assert complaints == []
