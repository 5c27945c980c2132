"""The per-call error boundary: failures and silence end somewhere the dialplan knows."""

from __future__ import annotations

import asyncio
import time

import pytest

from samad_ivr.agi.channel import AgiChannel, AgiProtocolError, AgiTimeout

from .fake_asterisk import FakeAsterisk, running_server


async def test_handler_exception_sets_samad_agi_error_and_closes_the_socket(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def handler(channel: AgiChannel) -> None:
        await channel.answer()
        raise LookupError("no roster for today")

    async with running_server({"route": handler}) as server:
        fake = await FakeAsterisk.connect(server.port)
        await fake.expect(b"ANSWER", b"200 result=0")
        await fake.expect(b'SET VARIABLE "SAMAD_AGI_ERROR" "LookupError"', b"200 result=1")
        await fake.expect_closed()
        await fake.close()
    failures = [r for r in caplog.records if r.exc_info and r.exc_info[0] is LookupError]
    assert len(failures) == 1


async def test_silent_peer_gives_a_timeout_within_command_timeout() -> None:
    seen: list[object] = []

    async def handler(channel: AgiChannel) -> None:
        started = time.monotonic()
        with pytest.raises(AgiTimeout):
            await channel.get_variable("SLOW")
        seen.append(time.monotonic() - started)
        # A late reply would now be misread, so the channel refuses to go on.
        with pytest.raises(AgiProtocolError):
            await channel.get_variable("AFTER")

    async with running_server({"route": handler}, command_timeout=0.2) as server:
        fake = await FakeAsterisk.connect(server.port)
        assert await fake.read_command() == b'GET VARIABLE "SLOW"'
        await fake.expect_closed()
        await fake.close()
    assert len(seen) == 1
    assert isinstance(seen[0], float)
    assert 0.15 < seen[0] < 1.0


async def test_timeout_escaping_the_handler_is_reported_to_the_dialplan() -> None:
    async def handler(channel: AgiChannel) -> None:
        await channel.get_variable("SLOW")

    async with running_server({"route": handler}, command_timeout=0.2) as server:
        fake = await FakeAsterisk.connect(server.port)
        assert await fake.read_command() == b'GET VARIABLE "SLOW"'
        await fake.expect(b'SET VARIABLE "SAMAD_AGI_ERROR" "AgiTimeout"', b"200 result=1")
        await fake.expect_closed()
        await fake.close()


async def test_each_command_gets_the_full_timeout_however_long_the_session_idled() -> None:
    # One timer serves the whole session (AgiChannel._arm): commands answered earlier and
    # time spent between commands must neither shorten nor cancel the next deadline.
    seen: list[float] = []

    async def handler(channel: AgiChannel) -> None:
        for _ in range(3):
            await channel.get_variable("FAST")
        await asyncio.sleep(0.5)  # idle for longer than the command timeout: no timeout
        await channel.get_variable("AFTER_IDLE")
        started = time.monotonic()
        with pytest.raises(AgiTimeout):
            await channel.get_variable("SLOW")
        seen.append(time.monotonic() - started)

    async with running_server({"route": handler}, command_timeout=0.3) as server:
        fake = await FakeAsterisk.connect(server.port)
        for _ in range(3):
            await fake.expect(b'GET VARIABLE "FAST"', b"200 result=1 (x)")
        await fake.expect(b'GET VARIABLE "AFTER_IDLE"', b"200 result=1 (y)")
        assert await fake.read_command() == b'GET VARIABLE "SLOW"'
        await fake.expect_closed()
        await fake.close()
    assert len(seen) == 1
    assert 0.25 < seen[0] < 1.0


async def test_cancelling_a_command_from_outside_is_not_taken_for_a_timeout() -> None:
    outcome: list[str] = []

    async def handler(channel: AgiChannel) -> None:
        task = asyncio.ensure_future(channel.get_variable("NEVER"))
        await asyncio.sleep(0.05)
        task.cancel()
        try:
            await task
        except asyncio.CancelledError:
            outcome.append("cancelled")
        except AgiTimeout:
            outcome.append("timeout")

    async with running_server({"route": handler}, command_timeout=0.2) as server:
        fake = await FakeAsterisk.connect(server.port)
        assert await fake.read_command() == b'GET VARIABLE "NEVER"'
        await asyncio.sleep(0.4)  # past the command timeout: the timer must find no command
        await fake.close()
    assert outcome == ["cancelled"]
