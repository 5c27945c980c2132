"""AgiConnection on real loopback sockets: framing, limits, deadlines, flow control, close."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest

from samad_ivr.agi.connection import AgiConnection, BufferOverrun, ConnectionClosed

LIMIT = 1024


@asynccontextmanager
async def connected(
    limit: int = LIMIT, scratch: memoryview | None = None
) -> AsyncIterator[tuple[AgiConnection, asyncio.StreamReader, asyncio.StreamWriter]]:
    """Our side as AgiConnection, the peer as plain streams, over a real TCP socket."""
    loop = asyncio.get_running_loop()
    made: asyncio.Future[AgiConnection] = loop.create_future()
    server = await loop.create_server(
        lambda: AgiConnection(loop, made.set_result, limit=limit, scratch=scratch),
        "127.0.0.1",
        0,
    )
    port = server.sockets[0].getsockname()[1]
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    connection = await asyncio.wait_for(made, 5)
    try:
        yield connection, reader, writer
    finally:
        writer.close()
        await connection.close(0.1)
        server.close()
        await server.wait_closed()


async def test_a_line_split_across_packets_is_read_whole() -> None:
    async with connected() as (connection, _, peer):
        read = asyncio.create_task(connection.read_until(b"\n"))
        peer.write(b"200 res")
        await peer.drain()
        await asyncio.sleep(0.05)
        assert not read.done()
        peer.write(b"ult=0\n200 result=1\n")
        assert await asyncio.wait_for(read, 5) == b"200 result=0\n"
        # The second line arrived in the same packet and waits in the buffer.
        assert await connection.read_until(b"\n") == b"200 result=1\n"


async def test_a_separator_split_across_packets_is_found() -> None:
    async with connected() as (connection, _, peer):
        read = asyncio.create_task(connection.read_until(b"\n\n"))
        peer.write(b"agi_a: 1\n")
        await peer.drain()
        await asyncio.sleep(0.05)
        peer.write(b"\n")
        assert await asyncio.wait_for(read, 5) == b"agi_a: 1\n\n"


async def test_connections_sharing_one_read_buffer_each_get_their_own_bytes() -> None:
    scratch = memoryview(bytearray(16))  # small: every line takes several reads
    async with (
        connected(scratch=scratch) as (first, _, first_peer),
        connected(scratch=scratch) as (second, _, second_peer),
    ):
        for i in range(50):
            first_peer.write(f"200 result=1 (first {i})\n".encode())
            second_peer.write(f"200 result=1 (second {i})\n".encode())
        await asyncio.gather(first_peer.drain(), second_peer.drain())
        for i in range(50):
            line = await asyncio.wait_for(first.read_until(b"\n"), 5)
            assert line == f"200 result=1 (first {i})\n".encode()
            line = await asyncio.wait_for(second.read_until(b"\n"), 5)
            assert line == f"200 result=1 (second {i})\n".encode()


async def test_end_of_stream_inside_a_line_is_connection_closed() -> None:
    async with connected() as (connection, _, peer):
        peer.write(b"200 result=")
        peer.write_eof()
        with pytest.raises(ConnectionClosed):
            await asyncio.wait_for(connection.read_until(b"\n"), 5)


async def test_more_than_the_limit_without_a_separator_is_an_overrun() -> None:
    async with connected() as (connection, _, peer):
        peer.write(b"x" * (LIMIT * 4))
        await peer.drain()
        with pytest.raises(BufferOverrun):
            await asyncio.wait_for(connection.read_until(b"\n"), 5)


async def test_a_flood_nobody_reads_pauses_reading_instead_of_buffering() -> None:
    async with connected() as (connection, _, peer):
        chunk = b"200 result=0\n" * 1000
        for _ in range(20):
            peer.write(chunk)
        await asyncio.sleep(0.2)
        transport = connection._transport
        assert transport is not None
        assert not transport.is_reading()
        # Reading on drains the buffer and lets the peer's bytes in again, in order.
        for _ in range(20 * 1000):
            assert await asyncio.wait_for(connection.read_until(b"\n"), 5) == b"200 result=0\n"
        assert transport.is_reading()


async def test_a_wait_past_its_deadline_fails_with_timeout_and_the_task_is_not_cancelled() -> None:
    async with connected() as (connection, _, _peer):
        connection.set_deadline(0.1)
        started = time.monotonic()
        with pytest.raises(TimeoutError):
            await connection.read_until(b"\n")
        assert 0.08 <= time.monotonic() - started < 2
        task = asyncio.current_task()
        assert task is not None
        assert task.cancelling() == 0


async def test_moving_the_deadline_later_keeps_the_wait_alive_until_the_new_deadline() -> None:
    async with connected() as (connection, _, peer):
        connection.set_deadline(0.05)
        read = asyncio.create_task(connection.read_until(b"\n"))
        await asyncio.sleep(0)
        # A first read armed a timer for 50 ms; the deadline moves to 400 ms before it fires.
        connection.set_deadline(0.4)
        await asyncio.sleep(0.2)
        assert not read.done()
        peer.write(b"200 result=0\n")
        assert await asyncio.wait_for(read, 5) == b"200 result=0\n"


async def test_an_outside_cancellation_stays_a_cancellation() -> None:
    async with connected() as (connection, _, peer):
        connection.set_deadline(5)
        read = asyncio.create_task(connection.read_until(b"\n"))
        await asyncio.sleep(0.05)
        read.cancel()
        with pytest.raises(asyncio.CancelledError):
            await read
        # The connection is still usable: the next read gets the next line.
        peer.write(b"200 result=0\n")
        assert await asyncio.wait_for(connection.read_until(b"\n"), 5) == b"200 result=0\n"


async def test_drain_waits_while_the_peer_does_not_read_and_obeys_the_deadline() -> None:
    async with connected() as (connection, _, _peer):
        transport = connection._transport
        assert transport is not None
        transport.set_write_buffer_limits(high=LIMIT)
        connection.set_deadline(0.2)

        async def write_until_drain_waits() -> None:
            for _ in range(10_000):  # far more than the kernel buffers hold
                connection.write(b"x" * 65536)
                await connection.drain()

        with pytest.raises(TimeoutError):
            await write_until_drain_waits()


async def test_close_with_nothing_unsent_closes_at_once() -> None:
    async with connected() as (connection, reader, _peer):
        connection.write(b"ANSWER\n")
        started = time.monotonic()
        await connection.close(5.0)
        assert time.monotonic() - started < 0.5
        assert await asyncio.wait_for(reader.read(), 5) == b"ANSWER\n"


async def test_close_drops_unsent_bytes_after_the_grace_when_the_peer_does_not_read() -> None:
    async with connected() as (connection, reader, _peer):
        transport = connection._transport
        assert transport is not None
        written = 400 * 65536  # 25 MiB: more than loopback's socket buffers take
        for _ in range(400):
            connection.write(b"x" * 65536)
        assert transport.get_write_buffer_size() > 0
        started = time.monotonic()
        await connection.close(0.2)
        assert 0.15 <= time.monotonic() - started < 2
        assert transport.is_closing()
        # The peer reads on: it gets what the kernel held, then the end, never the rest.
        received = 0
        async with asyncio.timeout(10):
            while chunk := await reader.read(1 << 20):
                received += len(chunk)
        assert received < written


async def test_writing_after_the_connection_is_lost_is_connection_closed() -> None:
    async with connected() as (connection, _reader, peer):
        peer.transport.get_extra_info("socket").setsockopt(
            socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00"
        )
        peer.transport.abort()
        with pytest.raises(ConnectionClosed):
            await asyncio.wait_for(connection.read_until(b"\n"), 5)
        await asyncio.sleep(0.05)
        with pytest.raises(ConnectionClosed):
            connection.write(b"ANSWER\n")
