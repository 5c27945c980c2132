"""A scripted stand-in for Asterisk's side of a FastAGI connection.

It speaks bytes, not our parser's types, so the tests check the wire itself.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import asynccontextmanager, suppress
from typing import Any

from samad_ivr.agi.server import FastAgiServer, Handler

IO_TIMEOUT = 5.0


def header_lines(
    *,
    script: str = "route",
    uniqueid: str = "1700000000.1",
    callerid: bytes = b"09121234567",
    calleridname: bytes = b"Ali",
    args: Sequence[str] = (),
    overrides: Mapping[str, bytes] | None = None,
) -> list[bytes]:
    """The header lines in the order Asterisk 22's res_agi writes them."""
    fields: dict[str, bytes] = {
        "agi_network": b"yes",
        "agi_network_script": script.encode(),
        "agi_request": b"agi://127.0.0.1/" + script.encode(),
        "agi_channel": b"PJSIP/trunk-00000001",
        "agi_language": b"fa",
        "agi_type": b"PJSIP",
        "agi_uniqueid": uniqueid.encode(),
        "agi_version": b"22.10.1",
        "agi_callerid": callerid,
        "agi_calleridname": calleridname,
        "agi_callingpres": b"0",
        "agi_callingani2": b"0",
        "agi_callington": b"0",
        "agi_callingtns": b"0",
        "agi_dnid": b"111",
        "agi_rdnis": b"unknown",
        "agi_context": b"samad-inbound",
        "agi_extension": b"111",
        "agi_priority": b"2",
        "agi_enhanced": b"0.0",
        "agi_accountcode": b"",
        "agi_threadid": b"140234567890",
    }
    for number, arg in enumerate(args, start=1):
        fields[f"agi_arg_{number}"] = arg.encode()
    fields.update(overrides or {})
    return [key.encode() + b": " + value + b"\n" for key, value in fields.items()]


def header_block(**kwargs: Any) -> bytes:
    return b"".join(header_lines(**kwargs)) + b"\n"


class FakeAsterisk:
    """One AGI() call as Asterisk would make it: header, then command/reply turns."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    @classmethod
    async def connect(cls, port: int, header: bytes | None = None, **kwargs: Any) -> FakeAsterisk:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        fake = cls(reader, writer)
        fake.writer.write(header if header is not None else header_block(**kwargs))
        await fake.writer.drain()
        return fake

    async def read_command(self) -> bytes:
        async with asyncio.timeout(IO_TIMEOUT):
            line = await self.reader.readline()
        assert line.endswith(b"\n"), f"expected a command, got {line!r} (EOF?)"
        return line[:-1]

    async def send(self, *lines: bytes) -> None:
        self.writer.write(b"".join(line + b"\n" for line in lines))
        await self.writer.drain()

    async def expect(self, command: bytes, *reply: bytes) -> None:
        assert await self.read_command() == command
        await self.send(*reply)

    async def expect_closed(self) -> None:
        """The server closed the connection and wrote nothing more."""
        async with asyncio.timeout(IO_TIMEOUT):
            rest = await self.reader.read()
        assert rest == b"", f"unexpected bytes before close: {rest!r}"

    async def close(self) -> None:
        self.writer.close()
        with suppress(ConnectionError):
            await self.writer.wait_closed()


@asynccontextmanager
async def running_server(
    routes: Mapping[str, Handler],
    *,
    command_timeout: float = 2.0,
    header_timeout: float = 2.0,
    max_connections: int = 5000,
) -> AsyncIterator[FastAgiServer]:
    server = FastAgiServer(
        routes,
        command_timeout=command_timeout,
        header_timeout=header_timeout,
        max_connections=max_connections,
    )
    await server.start("127.0.0.1", 0)
    try:
        yield server
    finally:
        await server.close(timeout=1.0)


def open_fd_count() -> int:
    return len(os.listdir("/proc/self/fd"))


async def settle(condition: Callable[[], bool], *, within: float = IO_TIMEOUT) -> None:
    """Poll a predicate until true; fail after ``within`` seconds."""
    async with asyncio.timeout(within):
        # The state lives inside the server, which has no event to wait on; poll it.
        while not condition():  # noqa: ASYNC110
            await asyncio.sleep(0.01)
