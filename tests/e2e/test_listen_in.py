"""Live listen-in on a real call: real Asterisk 22, our dialplan and service, the real web
endpoint and AMI client, and the live state from the AMI event stream.

The official's desk (`Local/talk@samad-test-talking-desk`) answers and keeps talking.
The national listener's phone is `Local/l<tag>@samad-test-listener`: it records what it
hears and sends a loud 1 kHz tone the whole time.  Listening must reach exactly that
call, and nothing the listener sends may reach the caller.
"""

from __future__ import annotations

import asyncio
import math
import os
import secrets
import wave
from array import array
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from aiohttp import web
from web.conftest import Client, do_login, running_client

from samad_ivr.ami.client import AmiClient
from samad_ivr.audio.recording import channel_rms
from samad_ivr.live.hub import LiveHub
from samad_ivr.live.views import desk_view
from samad_ivr.national.listen import LISTEN_CONTEXT, AmiListenGateway
from samad_ivr.storage.accounts import AccountRepository, NewUser, Role, User
from samad_ivr.storage.listen_audit import ListenAuditRepository
from samad_ivr.web.app import WebDeps, create_app
from samad_ivr.web.auth_views import hash_password
from samad_ivr.web.config import WEB_SETTINGS, WebSettings
from samad_ivr.web.national.routes import national_feature
from samad_ivr.web.openapi import setup_openapi
from samad_ivr.web.security import setup_security

from .conftest import AsteriskInstance, e2e_settings, wait_for
from .test_call_flows import place, seed_roster

DESK = "Local/talk@samad-test-talking-desk"
LISTENER_CONTEXT = "samad-test-listener"
PASSWORD = "listen in password 1"
RATE = 8000
TONE_HZ = 1000
TONE_AMPLITUDE = 0.5
WINDOW = RATE // 4  # 250 ms: 1 kHz falls exactly on a 4 Hz Goertzel bin
LISTEN_SECONDS = 8.0


@pytest.fixture
def listener_tone(asterisk: AsteriskInstance) -> None:
    """`samad-test/tone`: ten seconds of a steady 1 kHz tone at half of full scale."""
    samples = array(
        "h",
        (
            round(TONE_AMPLITUDE * 32767 * math.sin(2 * math.pi * TONE_HZ * n / RATE))
            for n in range(RATE * 10)
        ),
    )
    target = asterisk.sounds_dir / "samad-test" / "tone.sln"
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(".partial")
    partial.write_bytes(samples.tobytes())
    os.replace(partial, target)  # a prompt being played keeps its old inode


@pytest.fixture
async def national_web(
    asterisk: AsteriskInstance, database_url: str, db_pool: asyncpg.Pool, ami: AmiClient
) -> AsyncIterator[Client]:
    """The national office's web app, listening in through the real AMI client."""

    def configure(app: web.Application) -> None:
        app[WEB_SETTINGS] = WebSettings.from_env({"SAMAD_WEB_SECRET": "l" * 40})

    app = create_app(
        WebDeps(
            # Only the test listeners' phones may be rung (issue 15, item 4).
            settings=e2e_settings(
                asterisk, database_url, SAMAD_LISTEN_ENDPOINTS=f"Local/l*@{LISTENER_CONTEXT}"
            ),
            pool=db_pool,
        ),
        features=[configure, setup_security, setup_openapi,
                  national_feature(AmiListenGateway(ami))],
    )  # fmt: skip
    async with running_client(app) as client:
        yield client


@pytest.fixture
async def talking_desk(db_pool: asyncpg.Pool, start_service: object) -> int:
    """An official on duty whose desk answers and keeps talking, with the service
    running; the id of their center."""
    official, _ = await seed_roster(db_pool, desk=DESK)
    await start_service(SAMAD_QUEUE_MAX_WAIT_SECONDS="30")  # type: ignore[operator]
    center: int = await db_pool.fetchval("SELECT center_id FROM officials WHERE id = $1", official)
    return center


async def user_with_phone(db: asyncpg.Pool, role: Role, center: int | None, tag: str) -> User:
    """A user whose listen endpoint is the test listener phone `l<tag>`."""
    new = NewUser(f"{role.value.replace('_', '-')}-{tag}", "کاربر شنود", role, center)
    user = await AccountRepository(db).create_user(new, await hash_password(PASSWORD))
    endpoint = f"Local/l{tag}@{LISTENER_CONTEXT}"
    await ListenAuditRepository(db).set_listen_endpoint(user.id, endpoint)
    return user


async def ask_to_listen(client: Client, user: User, call_id: int) -> Any:
    """Log in as `user` and press "listen in" through the API, CSRF token included."""
    assert (await do_login(client, user, PASSWORD)).status == 303
    token = (await (await client.get("/api/v1/me")).json())["csrf_token"]
    return await client.post(f"/api/v1/calls/{call_id}/listen", headers={"X-CSRF-Token": token})


async def channels(ami: AmiClient) -> list[dict[str, str]]:
    messages = await ami.action_list({"Action": "CoreShowChannels"})
    return [m for m in messages if m.get("Event") == "CoreShowChannel"]


async def listener_channels(ami: AmiClient) -> list[dict[str, str]]:
    return [c for c in await channels(ami) if f"@{LISTENER_CONTEXT}-" in c.get("Channel", "")]


async def talking_call(db: asyncpg.Pool, live: LiveHub, caller: str) -> asyncpg.Record:
    """The call row of `caller` once the desk answered and both sides are talking."""

    async def desk_busy() -> bool:
        return desk_view(live.state, DESK).status == "busy"

    await wait_for(desk_busy, 90, "the desk to answer")
    row = await db.fetchrow(
        "SELECT id, uniqueid FROM calls WHERE caller_raw = $1 AND ended_at IS NULL", caller
    )
    assert row is not None, "the call in progress has no live call row"
    return row


async def hang_up_calls(ami: AmiClient) -> None:
    await ami.action({"Action": "Hangup", "Channel": "/^Local\\/111@samad-inbound-/"})


def interleaved(path: Path) -> tuple[array[int], array[int]]:
    """Channels 0 and 1 of a D-option MixMonitor file (whatever its header says)."""
    with wave.open(str(path), "rb") as wav:
        assert (wav.getsampwidth(), wav.getframerate()) == (2, RATE)
        pcm = array("h", wav.readframes(wav.getnframes()))
    return pcm[0::2], pcm[1::2]


def rms(samples: array[int]) -> float:
    if not samples:
        return 0.0
    return math.sqrt(sum(s * s for s in samples) / len(samples)) / 32768


def tone_windows(samples: array[int], hz: int = TONE_HZ) -> int:
    """How many 250 ms windows are audible and mostly (over half their energy) one
    steady tone at `hz` (Goertzel)."""
    coefficient = 2 * math.cos(2 * math.pi * hz / RATE)
    found = 0
    for start in range(0, len(samples) - WINDOW + 1, WINDOW):
        window = samples[start : start + WINDOW]
        energy = float(sum(s * s for s in window))
        if rms(window) < 0.01:
            continue
        s1 = s2 = 0.0
        for sample in window:
            s1, s2 = sample + coefficient * s1 - s2, s1
        power = s1 * s1 + s2 * s2 - coefficient * s1 * s2
        if 2 * power / (WINDOW * energy) > 0.5:
            found += 1
    return found


async def finished_recording(db: asyncpg.Pool, asterisk: AsteriskInstance, call_id: int) -> Path:
    async def finished() -> asyncpg.Record | None:
        return await db.fetchrow(
            "SELECT path FROM recordings WHERE call_id = $1 AND kind = 'call'"
            " AND sha256 IS NOT NULL",
            call_id,
        )

    row = await wait_for(finished, 60, "the call recording to be finalised")
    assert isinstance(row, asyncpg.Record)
    return asterisk.recordings_dir / row["path"]


async def test_a_national_listener_hears_exactly_the_call_and_the_caller_never_hears_them(
    asterisk: AsteriskInstance, ami: AmiClient, db_pool: asyncpg.Pool, talking_desk: int,
    live: LiveHub, national_web: Client, listener_tone: None,
) -> None:  # fmt: skip
    caller, tag = "09181234581", secrets.token_hex(4)
    listener = await user_with_phone(db_pool, Role.NATIONAL_LISTENER, None, tag)

    await place(ami, caller, "overheard", SAMAD_TEST_REPEATS="1", SAMAD_TEST_TAG=tag)
    call = await talking_call(db_pool, live, caller)
    try:
        response = await ask_to_listen(national_web, listener, call["id"])
        assert response.status == 200, await response.text()
        assert (await response.json())["status"] == "ringing"

        async def spying() -> list[dict[str, str]]:
            return [c for c in await listener_channels(ami) if c["Application"] == "ChanSpy"]

        spies = await wait_for(spying, 15, "the listener's phone to run ChanSpy")
        assert isinstance(spies, list)
        # Exactly this call, chosen by its unique id; quiet, exits with the call, and no
        # whisper (w/W), barge (B) or DTMF mode switching (d) among the options.
        assert [s["ApplicationData"] for s in spies] == [f"{call['uniqueid']},qESu"]
        assert spies[0]["Context"] == LISTEN_CONTEXT
        await asyncio.sleep(LISTEN_SECONDS)
    finally:
        await hang_up_calls(ami)

    async def listener_gone() -> bool:
        return not await listener_channels(ami)

    await wait_for(listener_gone, 15, "the listener's leg to end with the call")

    audits = await db_pool.fetch("SELECT user_id, action, call_id, endpoint FROM listen_audit")
    assert [tuple(a) for a in audits] == [
        (listener.id, "listen_live", call["id"], f"Local/l{tag}@{LISTENER_CONTEXT}")
    ]

    listened = asterisk.recordings_dir / f"listener-l{tag}.wav"
    heard, sent = interleaved(listened)
    assert tone_windows(sent) >= LISTEN_SECONDS * 2, "the listener's tone is not detected"
    assert rms(heard) > 0.01, "the listener heard nothing of the call"
    assert tone_windows(heard) == 0

    caller_heard, caller_said = interleaved(asterisk.recordings_dir / f"caller-heard-{tag}.wav")
    assert rms(caller_heard) > 0.01, "the caller did not hear the desk"
    assert tone_windows(caller_heard) == 0, "the caller heard the listener"
    assert tone_windows(caller_said) == 0

    recording = await finished_recording(db_pool, asterisk, call["id"])
    assert all(level > 0 for level in channel_rms(recording))
    for side in interleaved(recording):
        assert tone_windows(side) == 0, "the listener's tone is in the call recording"


async def test_a_role_without_listening_rights_is_refused_and_no_phone_rings(
    ami: AmiClient, db_pool: asyncpg.Pool, talking_desk: int, live: LiveHub,
    national_web: Client,
) -> None:  # fmt: skip
    caller, tag = "09181234582", secrets.token_hex(4)
    # Even with an endpoint stored, the role alone must stop it.
    official = await user_with_phone(db_pool, Role.OFFICIAL, talking_desk, tag)

    await place(ami, caller, "speak", SAMAD_TEST_REPEATS="1")
    call = await talking_call(db_pool, live, caller)
    try:
        response = await ask_to_listen(national_web, official, call["id"])
        assert response.status == 403
        assert (await response.json())["error"]["code"] == "forbidden_role"
        await asyncio.sleep(3)
        assert await listener_channels(ami) == []
        assert any(c["Uniqueid"] == call["uniqueid"] for c in await channels(ami))
    finally:
        await hang_up_calls(ami)
    assert await db_pool.fetchval("SELECT count(*) FROM listen_audit") == 0


async def test_a_listener_whose_phone_is_not_on_the_allow_list_rings_nothing(
    ami: AmiClient, db_pool: asyncpg.Pool, talking_desk: int, live: LiveHub,
    national_web: Client,
) -> None:  # fmt: skip
    caller, tag = "09181234583", secrets.token_hex(4)
    listener = await user_with_phone(db_pool, Role.NATIONAL_LISTENER, None, tag)
    # Stored before the allow-list (or by hand): valid syntax, not a listener's phone.
    await ListenAuditRepository(db_pool).set_listen_endpoint(
        listener.id, f"Local/x{tag}@{LISTENER_CONTEXT}"
    )
    await place(ami, caller, "speak", SAMAD_TEST_REPEATS="1")
    call = await talking_call(db_pool, live, caller)
    try:
        response = await ask_to_listen(national_web, listener, call["id"])
        assert response.status == 403
        assert (await response.json())["error"]["code"] == "endpoint_not_allowed"
        await asyncio.sleep(3)
        assert await listener_channels(ami) == []
    finally:
        await hang_up_calls(ami)
    assert await db_pool.fetchval("SELECT count(*) FROM listen_audit") == 0
