"""Server lifecycle against real sockets: headers that go wrong, load, shutdown."""

from __future__ import annotations

import asyncio
import logging

import pytest

from samad_ivr.agi.channel import AgiChannel, AgiHangup
from samad_ivr.agi.protocol import MAX_HEADER_LINE_BYTES
from samad_ivr.agi.server import FastAgiServer

from .fake_asterisk import (
    FakeAsterisk,
    header_block,
    header_lines,
    open_fd_count,
    running_server,
    settle,
)


def _other_tasks() -> set[asyncio.Task[object]]:
    return asyncio.all_tasks() - {asyncio.current_task()}


async def _never_called(channel: AgiChannel) -> None:
    raise AssertionError("handler must not run")


async def test_eof_inside_the_header_closes_quietly_and_leaves_no_task(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    async with running_server({"route": _never_called}) as server:
        before = _other_tasks()
        fake = await FakeAsterisk.connect(server.port, header=b"".join(header_lines()[:5]))
        fake.writer.write_eof()
        await fake.expect_closed()
        await fake.close()
        await settle(lambda: _other_tasks() == before)
        assert server.active_sessions == 0
    assert any("inside the AGI header" in r.getMessage() for r in caplog.records)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


async def test_silent_peer_is_dropped_after_the_header_timeout() -> None:
    async with running_server({"route": _never_called}, header_timeout=0.1) as server:
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        fake = FakeAsterisk(reader, writer)
        await fake.expect_closed()
        await fake.close()


@pytest.mark.parametrize(
    "header",
    [
        b"agi_calleridname: " + b"x" * MAX_HEADER_LINE_BYTES + b"\n\n",
        b"".join(f"agi_x{i}: y\n".encode() for i in range(201)) + b"\n",
        b"this is not agi\n\n",
    ],
    ids=["line-over-8KiB", "over-200-lines", "garbage"],
)
async def test_malformed_header_closes_without_running_a_handler(header: bytes) -> None:
    async with running_server({"route": _never_called}) as server:
        fake = await FakeAsterisk.connect(server.port, header=header)
        await fake.expect_closed()
        await fake.close()


async def test_connections_over_the_limit_are_told_busy() -> None:
    release = asyncio.Event()

    async def parked(channel: AgiChannel) -> None:
        await release.wait()

    async with running_server({"route": parked}, max_connections=1) as server:
        first = await FakeAsterisk.connect(server.port, uniqueid="1.1")
        await settle(lambda: server.active_sessions == 1)
        second = await FakeAsterisk.connect(server.port, uniqueid="1.2")
        await second.expect(b'SET VARIABLE "SAMAD_AGI_ERROR" "busy"', b"200 result=1")
        await second.expect_closed()
        release.set()
        await first.expect_closed()
        await first.close()
        await second.close()
        await settle(lambda: server.active_sessions == 0)


async def test_close_cancels_parked_sessions_and_leaks_no_task_or_socket() -> None:
    fds_before = open_fd_count()
    tasks_before = _other_tasks()
    cancelled: list[str] = []
    parked_count = 5

    async def parked(channel: AgiChannel) -> None:
        try:
            await channel.get_variable("NEVER_ANSWERED")
        except asyncio.CancelledError:
            cancelled.append(channel.env.uniqueid)
            raise

    server = FastAgiServer({"route": parked}, command_timeout=60.0)
    await server.start("127.0.0.1", 0)
    fakes = [
        await FakeAsterisk.connect(server.port, uniqueid=f"9.{i}") for i in range(parked_count)
    ]
    for fake in fakes:
        assert await fake.read_command() == b'GET VARIABLE "NEVER_ANSWERED"'
    assert server.active_sessions == parked_count

    await asyncio.wait_for(server.close(timeout=0.1), timeout=5.0)

    assert server.active_sessions == 0
    assert sorted(cancelled) == sorted(f"9.{i}" for i in range(parked_count))
    for fake in fakes:
        await fake.expect_closed()
        await fake.close()
    assert _other_tasks() == tasks_before
    assert open_fd_count() == fds_before


async def test_close_lets_sessions_that_finish_within_the_grace_period_finish() -> None:
    finished: list[str] = []

    async def quick(channel: AgiChannel) -> None:
        await channel.answer()
        finished.append(channel.env.uniqueid)

    server = FastAgiServer({"route": quick})
    await server.start("127.0.0.1", 0)
    fake = await FakeAsterisk.connect(server.port, uniqueid="5.5")
    assert await fake.read_command() == b"ANSWER"
    closing = asyncio.create_task(server.close(timeout=5.0))
    await asyncio.sleep(0.05)
    await fake.send(b"200 result=0")
    await fake.expect_closed()
    await closing
    await fake.close()
    assert finished == ["5.5"]


async def test_two_hundred_concurrent_sessions_with_injected_hangups_stay_in_step() -> None:
    sessions = 200
    results: dict[str, str] = {}

    async def handler(channel: AgiChannel) -> None:
        me = channel.env.uniqueid
        try:
            assert await channel.get_variable("WHO") == f"who-{me}"
            assert await channel.stream_file(f"fa/p-{me}", "0123456789") == me[-1]
            await channel.set_variable("SAMAD_SEEN", me)
            assert await channel.get_data(f"fa/d-{me}", 2000, 8) == me.replace(".", "*")
        except AgiHangup:
            results[me] = "hangup"
            raise
        results[me] = "ok"

    async def caller(port: int, index: int) -> None:
        me = f"{1700000000 + index}.{index}"
        inject_hangup = index % 10 == 0
        fake = await FakeAsterisk.connect(port, uniqueid=me)
        await fake.expect(b'GET VARIABLE "WHO"', f"200 result=1 (who-{me})".encode())
        assert await fake.read_command() == f'STREAM FILE "fa/p-{me}" "0123456789"'.encode()
        if inject_hangup:
            await fake.send(b"HANGUP", b"200 result=-1 endpos=0")
        else:
            await fake.send(f"200 result={ord(me[-1])} endpos=10".encode())
            await fake.expect(f'SET VARIABLE "SAMAD_SEEN" "{me}"'.encode(), b"200 result=1")
            command = f'GET DATA "fa/d-{me}" "2000" "8"'.encode()
            await fake.expect(command, f"200 result={me.replace('.', '*')}".encode())
        await fake.expect_closed()
        await fake.close()

    async with running_server({"route": handler}) as server:
        async with asyncio.timeout(15):
            await asyncio.gather(*(caller(server.port, i) for i in range(sessions)))
        await settle(lambda: server.active_sessions == 0)
    assert len(results) == sessions
    hangups = sorted(k for k, v in results.items() if v == "hangup")
    assert len(hangups) == sessions // 10
    assert all(int(k.split(".")[1]) % 10 == 0 for k in hangups)


async def test_header_block_round_trips_through_a_real_session() -> None:
    envs: list[tuple[str, tuple[str, ...], str]] = []

    async def handler(channel: AgiChannel) -> None:
        envs.append((channel.env.network_script, channel.env.args, channel.env.context))

    async with running_server({"intake": handler}) as server:
        header = header_block(script="intake?lang=fa", args=("complaint",))
        fake = await FakeAsterisk.connect(server.port, header=header)
        await fake.expect_closed()
        await fake.close()
    assert envs == [("intake", ("complaint",), "samad-inbound")]


async def test_a_cancelled_session_stays_cancelled_and_closes_its_socket() -> None:
    session_tasks: list[asyncio.Task[object]] = []
    handler_saw_cancel = asyncio.Event()

    async def parked(channel: AgiChannel) -> None:
        task = asyncio.current_task()
        assert task is not None
        session_tasks.append(task)
        try:
            await channel.get_variable("NEVER_ANSWERED")
        except asyncio.CancelledError:
            handler_saw_cancel.set()
            raise

    async with running_server({"route": parked}, command_timeout=60.0) as server:
        fake = await FakeAsterisk.connect(server.port)
        assert await fake.read_command() == b'GET VARIABLE "NEVER_ANSWERED"'
        (task,) = session_tasks
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert task.cancelled()
        assert handler_saw_cancel.is_set()
        await fake.expect_closed()
        await fake.close()
        assert server.active_sessions == 0
