"""A real Kannel round trip: bearerbox + smsbox with a loopback SMSC from
`scripts/kannel-dev.sh`, our worker sending through sendsms, Kannel calling our DLR
URL, and the loopback SMSC turning messages into MO calls to our web app.

The test instance has its own directory and ports, so a developer's Kannel (default
ports) is left alone; a file lock serialises concurrent test sessions.
"""

from __future__ import annotations

import asyncio
import fcntl
import os
import subprocess
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web

from samad_ivr.sms.service import SmsRuntime, start_sms
from samad_ivr.storage.db import Pool

from .conftest import MOBILE, TOKEN, sms_settings

REPO = Path(__file__).resolve().parents[2]
KANNEL_DIR = Path(os.environ.get("SAMAD_TEST_KANNEL_DIR", "/var/lib/samad-ivr/kannel-test"))
WEB_PORT = 13180
ENV = {
    "SAMAD_KANNEL_DIR": str(KANNEL_DIR),
    "SAMAD_KANNEL_ADMIN_PORT": "13100",
    "SAMAD_KANNEL_SMSBOX_PORT": "13101",
    "SAMAD_KANNEL_SENDSMS_PORT": "13113",
    "SAMAD_KANNEL_USER": "samad-test",
    "SAMAD_KANNEL_PASSWORD": "samad-test-sms",
    "SAMAD_KANNEL_MO_URL": f"http://127.0.0.1:{WEB_PORT}/sms/kannel/mo/{TOKEN}",
}


@pytest.fixture(scope="module")
def kannel() -> Iterator[str]:
    KANNEL_DIR.mkdir(parents=True, exist_ok=True)
    with open(KANNEL_DIR.parent / "kannel-test.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        script = REPO / "scripts" / "kannel-dev.sh"
        try:
            proc = subprocess.run(
                [str(script), "start"],
                capture_output=True,
                text=True,
                timeout=300,
                check=False,
                env={**os.environ, **ENV},
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            pytest.fail(f"cannot run {script}: {exc}", pytrace=False)
        if proc.returncode != 0:
            pytest.fail(f"{script} start failed:\n{proc.stderr[-3000:]}", pytrace=False)
        yield proc.stdout.strip().splitlines()[-1]


@pytest.fixture
async def running(db_pool: Pool, kannel: str) -> AsyncIterator[SmsRuntime]:
    settings = sms_settings(
        provider="kannel",
        kannel_url=kannel,
        kannel_user=ENV["SAMAD_KANNEL_USER"],
        kannel_password=ENV["SAMAD_KANNEL_PASSWORD"],
        idle_seconds="1",
    )
    runtime = await start_sms(db_pool, settings, web_app_public_url=f"http://127.0.0.1:{WEB_PORT}")
    app = web.Application()
    runtime.web_feature(app)
    runner = web.AppRunner(app)
    await runner.setup()
    try:
        await web.TCPSite(runner, "127.0.0.1", WEB_PORT).start()
        yield runtime
    finally:
        await runner.cleanup()
        await runtime.close()


async def wait_for(pool: Pool, sql: str, *args: object, timeout: float = 20) -> object:
    async with asyncio.timeout(timeout):
        while True:
            async with pool.acquire() as conn:
                value = await conn.fetchval(sql, *args)
            if value:
                return value
            await asyncio.sleep(0.2)


async def test_a_message_goes_through_real_kannel_and_its_dlr_comes_back(
    db_pool: Pool, running: SmsRuntime
) -> None:
    body = "سامد: درخواست شما ثبت شد.\nکد پیگیری:\n1234567890"
    async with db_pool.acquire() as conn:
        sms_id = await conn.fetchval(
            "INSERT INTO sms_outbox (destination, body) VALUES ($1, $2) RETURNING id", MOBILE, body
        )
    await wait_for(
        db_pool, "SELECT 1 FROM sms_delivery_events WHERE outbox_id = $1 AND source = 'dlr'", sms_id
    )
    async with db_pool.acquire() as conn:
        row = await conn.fetchrow(
            "SELECT status, attempts, provider FROM sms_outbox WHERE id = $1", sms_id
        )
        event = await conn.fetchrow(
            "SELECT raw_code, status FROM sms_delivery_events WHERE outbox_id = $1", sms_id
        )
        attempt = await conn.fetchrow(
            "SELECT outcome, raw_response FROM sms_attempts WHERE outbox_id = $1", sms_id
        )
    assert tuple(row) == ("submitted", 1, "kannel")
    assert tuple(event) == ("8", "submitted")  # the loopback SMSC acknowledges
    assert tuple(attempt) == ("accepted", "0: Accepted for delivery")
    # The loopback SMSC hands the message back as MO: UCS-2 text arrives intact.
    text = await wait_for(db_pool, "SELECT text FROM sms_inbound WHERE text = $1", body)
    assert text == body


async def test_an_opt_out_reply_through_real_kannel_unsubscribes_the_number(
    db_pool: Pool, running: SmsRuntime, kannel: str
) -> None:
    # With a loopback SMSC, an MT "from" the citizen comes back as their MO.
    params = {
        "username": ENV["SAMAD_KANNEL_USER"],
        "password": ENV["SAMAD_KANNEL_PASSWORD"],
        "from": MOBILE,
        "to": "111",
        "text": "لغو",
        "coding": "2",
        "charset": "UTF-8",
    }
    async with (
        aiohttp.ClientSession() as session,
        session.get(kannel, params=params, timeout=aiohttp.ClientTimeout(total=10)) as resp,
    ):
        assert resp.status == 202
    assert await wait_for(db_pool, "SELECT destination FROM sms_optouts") == MOBILE
