"""Fixtures the browser tests share: `browser` (Debian's Chromium, headless, driven by
Playwright) and `serve_app(settings, pool, features)`, the app on a loopback port."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

import pytest
from aiohttp import web
from playwright.async_api import Browser, async_playwright

from samad_ivr.settings import Settings
from samad_ivr.storage.db import Pool
from samad_ivr.web.app import Feature, WebDeps, create_app
from samad_ivr.web.config import WEB_SETTINGS, WebSettings
from samad_ivr.web.openapi import setup_openapi
from samad_ivr.web.security import setup_security

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
    "--autoplay-policy=no-user-gesture-required",
]  # fmt: skip
ServeApp = Callable[[Settings, Pool, Iterable[Feature]], AbstractAsyncContextManager[str]]


@asynccontextmanager
async def _serve(settings: Settings, pool: Pool, features: Iterable[Feature]) -> AsyncIterator[str]:
    """The app with security, OpenAPI and `features` on 127.0.0.1; yields its base URL."""

    def configure(app: web.Application) -> None:
        app[WEB_SETTINGS] = WebSettings.from_env({"SAMAD_WEB_SECRET": "w" * 40})

    app = create_app(
        WebDeps(settings=settings, pool=pool),
        features=[configure, setup_security, setup_openapi, *features],
    )
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}"
    finally:
        await runner.cleanup()


@pytest.fixture
def serve_app() -> ServeApp:
    return _serve


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium", pytrace=False)
    async with async_playwright() as p:
        chromium = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            await chromium.close()
