"""Transcripts in real headless Chromium: a phrase typed in Persian finds the call, shows
the hit in context with its minute, and the play button starts the recording there."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from national.factories import make_call, write_wav
from playwright.async_api import Browser, Page

from samad_ivr.domain.persian_text import normalise_for_search
from samad_ivr.settings import Settings
from samad_ivr.storage.accounts import AccountRepository, NewUser, Role
from samad_ivr.storage.db import Pool
from samad_ivr.storage.roster import RosterRepository
from samad_ivr.web.admin.routes import setup_admin
from samad_ivr.web.auth_views import hash_password
from samad_ivr.web.national.routes import national_feature

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
PASSWORD = "browser transcript password"
# What the caller said, as a recogniser writes it (Arabic yeh/kaf, ZWNJ), one word a half second.
CALLER_WORDS = "سلام من از همدان زنگ مي‌زنم آب خانهٔ ما سه روز است قطع است لطفا پيگيري كنيد"


async def _store_transcript(pool: Pool, recording_id: int) -> None:
    words = [[w, 0.5 + i * 0.5, 0.9 + i * 0.5, 0.9] for i, w in enumerate(CALLER_WORDS.split())]
    async with pool.acquire() as conn:
        await conn.execute(
            "INSERT INTO transcripts (recording_id, speaker, text, normalised, words)"
            " VALUES ($1, 'caller', $2, $3, $4::jsonb)",
            recording_id, CALLER_WORDS, normalise_for_search(CALLER_WORDS),
            json.dumps(words, ensure_ascii=False),
        )  # fmt: skip
        await conn.execute(
            "UPDATE transcription_jobs SET state = 'done', attempts = 1, finished_at = now(),"
            " audio_seconds = 12, processing_seconds = 2.5 WHERE recording_id = $1",
            recording_id,
        )


@pytest.fixture
async def served(
    database_url: str, db_pool: Pool, tmp_path: Path, serve_app: Any
) -> AsyncIterator[str]:
    settings = Settings.from_env({
        "SAMAD_DATABASE_URL": database_url, "SAMAD_WEB_BIND": "127.0.0.1:0",
        "SAMAD_RECORDINGS_DIR": str(tmp_path / "recordings"),
    })  # fmt: skip
    center = await RosterRepository(db_pool).ensure_center("hamedan", "همدان", "samad-hamedan")
    call = await make_call(db_pool, center, settings.recordings_dir)
    path = await db_pool.fetchval("SELECT path FROM recordings WHERE id = $1", call.recording_id)
    write_wav(settings.recordings_dir / path, seconds=12.0)
    await _store_transcript(db_pool, call.recording_id)
    other = await make_call(db_pool, center, settings.recordings_dir)  # still in the queue
    await db_pool.execute(
        "UPDATE transcription_jobs SET state = 'failed', attempts = 4,"
        " last_error = 'calls/x.wav is not audio pydub can read' WHERE recording_id = $1",
        other.recording_id,
    )
    await make_call(db_pool, center, settings.recordings_dir)
    user = NewUser("national-superuser", "مدیر ارشد", Role.SUPERUSER)
    await AccountRepository(db_pool).create_user(user, await hash_password(PASSWORD))
    async with serve_app(settings, db_pool, [national_feature(), setup_admin]) as url:
        yield url


async def _login(page: Page, url: str) -> None:
    await page.goto(url)
    await page.fill("#username", "national-superuser")
    await page.fill("#password", PASSWORD)
    await page.click("button[type=submit]")
    await page.wait_for_url(url)


async def test_a_phrase_finds_the_call_and_plays_it_from_the_second_it_was_said(
    served: str, browser: Browser, db_pool: Pool
) -> None:
    page = await browser.new_page(locale="fa-IR", viewport={"width": 1280, "height": 800})
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    await _login(page, f"{served}/national/transcripts")
    # Typed with Persian letters, the ezafe written out and a ZWNJ where the recogniser had none.
    await page.fill("input[name=q]", "آب خانه")
    await page.click("form.transcript-search button[type=submit]")
    hit = page.locator(".hit")
    assert await hit.count() == 1
    assert await hit.locator("mark").inner_text() == "آب خانهٔ"
    assert "زنگ مي‌زنم" in await hit.locator(".said").inner_text()
    assert "۰۰:۰۳" in await hit.locator(".meta").inner_text()  # 0.5 + 6 × 0.5 s
    await page.click("button.play-at")
    playing = """p => new Promise(done => {
        const check = () => p.currentTime >= 3.4 ? done(p.currentTime) : setTimeout(check, 50);
        check();
    })"""
    async with asyncio.timeout(15):
        position = await page.locator("#player").evaluate(playing)
    assert 3.4 <= position < 6.0
    ARTIFACTS.mkdir(exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / "national-transcripts.png"), full_page=True)
    rows = await db_pool.fetch("SELECT action, username FROM listen_audit")
    assert {(r["action"], r["username"]) for r in rows} == {("play", "national-superuser")}
    assert errors == []


async def test_the_admin_sees_the_queue_with_each_recordings_state(
    served: str, browser: Browser
) -> None:
    page = await browser.new_page(locale="fa-IR", viewport={"width": 1280, "height": 800})
    await _login(page, f"{served}/admin/transcription")
    assert await page.locator("#backlog").inner_text() == "۱"
    assert await page.locator("#failed").inner_text() == "۱"
    assert "خاموش" in await page.locator("#model").inner_text()
    assert await page.locator("tr.failed td.reason").inner_text() == (
        "calls/x.wav is not audio pydub can read"
    )
    ARTIFACTS.mkdir(exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / "admin-transcription.png"), full_page=True)
