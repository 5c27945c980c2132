"""A hardware SIP desk phone keeps working beside the browser softphones: the desk is
`PJSIP/desk-phone-1` over UDP, played by SIPp (Debian's sip-tester) answering and
echoing the audio back."""

from __future__ import annotations

import asyncio
import shutil

import asyncpg
import pytest

from samad_ivr.ami.client import AmiClient

from .conftest import AsteriskInstance, wait_for
from .test_call_flows import finished_call, place, seed_roster

CALLER = "09181234599"


async def test_a_sip_desk_phone_answers_and_the_call_is_registered(
    asterisk: AsteriskInstance, ami: AmiClient, db_pool: asyncpg.Pool, start_service: object
) -> None:
    sipp = shutil.which("sipp")
    if sipp is None:
        pytest.fail("sipp is missing: apt-get install -y sip-tester", pytrace=False)
    official, _ = await seed_roster(db_pool, desk="PJSIP/desk-phone-1")
    await start_service()  # type: ignore[operator]
    phone = await asyncio.create_subprocess_exec(
        sipp, "-sn", "uas", "-i", "127.0.0.1", "-p", "15070", "-mi", "127.0.0.1",
        "-mp", "16000", "-rtp_echo", "-m", "1", "-nostdin", "-timeout", "120s",
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        await place(ami, CALLER, "speak", SAMAD_TEST_REPEATS="1")

        async def phone_talking() -> bool:
            channels = asterisk.rx("core show channels concise").splitlines()
            return any(c.startswith("PJSIP/desk-phone-1-") and "!Up!" in c for c in channels)

        await wait_for(phone_talking, 60, "the desk phone to answer")
        await asyncio.sleep(3)
        # SIPp's uas scenario stays until the hotline sends BYE: the caller hangs up.
        await ami.action({"Action": "Hangup", "Channel": "/^Local\\/111@samad-inbound-/"})
        call = await finished_call(db_pool, CALLER)
        _, stderr = await asyncio.wait_for(phone.communicate(), 30)
    finally:
        if phone.returncode is None:
            phone.kill()
            await phone.wait()
    assert phone.returncode == 0, f"SIPp saw a failed call: {stderr.decode(errors='replace')}"
    assert call["disposition"] == "answered"
    assert call["route"] == "desk"
    assert call["official_id"] == official
