"""Helpers for Chromium tests of the lifecycle consoles: settings and a logged-in page."""

from __future__ import annotations

from pathlib import Path

from playwright.async_api import Browser, Page

from samad_ivr.settings import Settings


def portal_settings(database_url: str, tmp_path: Path) -> Settings:
    """Settings of an app served on an ephemeral loopback port with its own directories."""
    return Settings.from_env({
        "SAMAD_DATABASE_URL": database_url, "SAMAD_WEB_BIND": "127.0.0.1:0",
        "SAMAD_RECORDINGS_DIR": str(tmp_path / "recordings"),
        "SAMAD_ATTACHMENTS_DIR": str(tmp_path / "attachments"),
    })  # fmt: skip


async def logged_in(
    browser: Browser, url: str, path: str, username: str, password: str
) -> tuple[Page, list[str]]:
    """A Persian-locale page logged in through the form at `path`, and the page's
    script errors as they come (a test asserts the list is empty at its end)."""
    page = await browser.new_page(locale="fa-IR", viewport={"width": 1280, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    await page.goto(f"{url}{path}")
    await page.fill("#username", username)
    await page.fill("#password", password)
    await page.click("button[type=submit]")
    await page.wait_for_url(f"{url}{path}")
    return page, errors
