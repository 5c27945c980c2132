"""The desk's browser softphone answers a real call: real Asterisk 22 (res_pjsip over
WebSocket, DTLS-SRTP, ICE on loopback), our service (which writes the desk's PJSIP
config and serves the page), real headless Chromium with fake media devices.

Chromium's microphone plays the official's recorded reply; the test checks that the
caller's audio reaches the browser and that the official's voice is in the recording
of the call, in the seconds the official was talking.
"""

from __future__ import annotations

import wave
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import pytest
from playwright.async_api import Browser, Page, expect

from samad_ivr.ami.client import AmiClient
from samad_ivr.app import Service
from samad_ivr.audio.recording import channel_rms
from samad_ivr.storage.accounts import AccountRepository, NewUser, Role
from samad_ivr.web.auth_views import hash_password

from .conftest import AsteriskInstance, wait_for
from .test_call_flows import ROOT_SOUNDS, finished_call, place, seed_roster

DESK_NAME = "samad-web-desk1"
CALLER = "09181234588"
PASSWORD = "softphone password 1"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def official_voice(tmp_path: Path) -> Path:
    """The official's reply prompt as the WAV Chromium's fake microphone plays."""
    raw = (ROOT_SOUNDS / "demo-official-reply.sln16").read_bytes()
    path = tmp_path / "official.wav"
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(16000)
        out.writeframes(raw)
    return path


@pytest.fixture
async def phone_browser(
    tmp_path: Path, launch_chromium: Callable[..., AbstractAsyncContextManager[Browser]]
) -> AsyncIterator[Browser]:
    fake_media = [
        "--use-fake-ui-for-media-stream",
        "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-audio-capture={official_voice(tmp_path)}",
        # Media stays on loopback: ICE may use it, and host candidates are real addresses.
        "--allow-loopback-in-peer-connection",
        "--disable-features=WebRtcHideLocalIpsWithMdns",
    ]
    async with launch_chromium(*fake_media) as chromium:
        yield chromium


async def registered_desk(
    asterisk: AsteriskInstance,
    db_pool: asyncpg.Pool,
    start_service: object,
    phone_browser: Browser,
    **overrides: str,
) -> tuple[int, Page]:
    """An official on duty at the browser desk, logged in, their softphone registered."""
    official, _ = await seed_roster(db_pool, desk=f"PJSIP/{DESK_NAME}")
    center = await db_pool.fetchval("SELECT center_id FROM officials WHERE id = $1", official)
    user = NewUser("softphone-official", "استاندار همدان", Role.OFFICIAL, center, official)
    await AccountRepository(db_pool).create_user(user, await hash_password(PASSWORD))
    service = await start_service(**overrides)  # type: ignore[operator]
    assert isinstance(service, Service)

    async def desk_configured() -> bool:
        return f"Endpoint:  {DESK_NAME}" in asterisk.rx(f"pjsip show endpoint {DESK_NAME}")

    await wait_for(desk_configured, 30, "the service to configure the browser desk in Asterisk")

    page = await phone_browser.new_page(locale="fa-IR", viewport={"width": 1280, "height": 900})
    await page.goto(f"{service.web_url}/desk")
    await page.fill("#username", "softphone-official")
    await page.fill("#password", PASSWORD)
    await page.click("button[type=submit]")
    await page.wait_for_url(f"{service.web_url}/desk")
    state = page.locator("#phone-state")
    await expect(state).to_have_attribute("data-state", "registered", timeout=20_000)
    return official, page


HEARD_JS = """
async () => {
  const stream = document.getElementById("phone-audio").srcObject;
  if (!stream || !stream.getAudioTracks().length) { return 0; }
  const ctx = new AudioContext();
  const analyser = ctx.createAnalyser();
  ctx.createMediaStreamSource(stream).connect(analyser);
  const data = new Float32Array(analyser.fftSize);
  let peak = 0;
  for (let i = 0; i < 40; i++) {
    await new Promise((r) => setTimeout(r, 50));
    analyser.getFloatTimeDomainData(data);
    for (const v of data) { peak = Math.max(peak, Math.abs(v)); }
  }
  await ctx.close();
  return peak;
}
"""


async def test_the_desk_softphone_answers_a_real_call_and_the_conversation_is_recorded(
    asterisk: AsteriskInstance,
    ami: AmiClient,
    db_pool: asyncpg.Pool,
    start_service: object,
    phone_browser: Browser,
) -> None:
    official, page = await registered_desk(
        asterisk, db_pool, start_service, phone_browser, SAMAD_QUEUE_MAX_WAIT_SECONDS="60"
    )
    state = page.locator("#phone-state")

    await place(ami, CALLER, "speak", SAMAD_TEST_REPEATS="10")
    try:
        await expect(state).to_have_attribute("data-state", "ringing", timeout=60_000)
        await expect(page.locator("#caller-number bdi")).to_have_text("۰۹۱۸ ۱۲۳ ۴۵۸۸")
        await page.click("#phone-answer")
        await expect(state).to_have_attribute("data-state", "talking", timeout=10_000)
        talking_from = datetime.now(UTC)
        peak = await page.evaluate(HEARD_JS)
        assert peak > 0.01, "the caller's voice did not reach the browser"
        await page.wait_for_timeout(4_000)
        ARTIFACTS.mkdir(exist_ok=True)
        await page.screenshot(path=str(ARTIFACTS / "desk-softphone.png"), full_page=True)
        talking_to = datetime.now(UTC)
        await page.click("#phone-mute")
        await expect(page.locator("#phone-mute")).to_have_attribute("aria-pressed", "true")
        muted_from = datetime.now(UTC)
        await page.wait_for_timeout(3_000)
        muted_to = datetime.now(UTC)
        await page.click("#phone-hangup")
        await expect(state).to_have_attribute("data-state", "registered", timeout=10_000)
    finally:
        await ami.action({"Action": "Hangup", "Channel": "/^Local\\/111@samad-inbound-/"})

    call = await finished_call(db_pool, CALLER)
    assert call["disposition"] == "answered"
    assert call["official_id"] == official

    async def finished_recording() -> asyncpg.Record | None:
        return await db_pool.fetchrow(
            "SELECT path FROM recordings WHERE call_id = $1 AND kind = 'call' "
            "AND sha256 IS NOT NULL",
            call["id"],
        )

    recording = await wait_for(finished_recording, 60, "the call recording to be finalised")
    assert isinstance(recording, asyncpg.Record)
    path = asterisk.recordings_dir / recording["path"]

    def offset(moment: datetime) -> float:
        return (moment - call["answered_at"]).total_seconds()

    caller_side, desk_side = channel_rms(path, offset(talking_from) + 0.5, offset(talking_to))
    assert desk_side > 0.01, "the official's voice (browser microphone) is not in the recording"
    assert caller_side > 0.01, "the caller's voice is not in the recording"
    # Muted, the desk side falls silent: what was recorded above came from the browser.
    _, muted_side = channel_rms(path, offset(muted_from) + 1.0, offset(muted_to))
    assert muted_side < desk_side / 10, "muting the softphone did not silence the desk"


async def test_the_softphone_registers_again_after_asterisk_restarts(
    asterisk: AsteriskInstance,
    db_pool: asyncpg.Pool,
    start_service: object,
    phone_browser: Browser,
) -> None:
    _, page = await registered_desk(asterisk, db_pool, start_service, phone_browser)
    state = page.locator("#phone-state")

    asterisk.stop()
    await expect(state).to_have_attribute("data-state", "reconnecting", timeout=15_000)
    asterisk.start()
    await expect(state).to_have_attribute("data-state", "registered", timeout=60_000)

    # And it rings: Asterisk knows where the desk is again.
    asterisk.rx(f"channel originate PJSIP/{DESK_NAME} application Wait 5")
    await expect(state).to_have_attribute("data-state", "ringing", timeout=15_000)
    await page.click("#phone-hangup")
    await expect(state).to_have_attribute("data-state", "registered", timeout=10_000)
