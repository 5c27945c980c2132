"""The 4-command benchmark script, written once per server style.

ANSWER; GET VARIABLE SAMAD_BENCH_TOKEN; STREAM FILE greeting (the media command, answered
after the load generator's media delay); SET VARIABLE SAMAD_BENCH_ECHO <token>.  Echoing
the token lets the load generator detect a desynchronised stream.
"""

from __future__ import annotations

import asyncio
import socket

from samad_ivr.agi.channel import AgiChannel

ROUTE = "bench"
TOKEN_VARIABLE = "SAMAD_BENCH_TOKEN"
ECHO_VARIABLE = "SAMAD_BENCH_ECHO"


async def ours(channel: AgiChannel) -> None:
    """Our layer running B1's script."""
    await channel.answer()
    token = await channel.get_variable(TOKEN_VARIABLE) or ""
    await channel.stream_file("greeting")
    await channel.set_variable(ECHO_VARIABLE, token)


async def b0_session(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """B0: the least a correct asyncio FastAGI server does (HANGUP and EOF included)."""

    async def command(line: bytes) -> bytes | None:
        writer.write(line)
        reply = await reader.readline()
        if reply.startswith(b"HANGUP"):
            await reader.readline()  # the pending command's own reply
            return None
        if not reply.startswith(b"200 "):
            return None
        return reply

    try:
        while (line := await reader.readline()) not in (b"\n", b""):
            pass
        if not line or await command(b"ANSWER\n") is None:
            return
        reply = await command(b"GET VARIABLE SAMAD_BENCH_TOKEN\n")
        if reply is None:
            return
        token = reply.partition(b"(")[2].rpartition(b")")[0]
        if await command(b'STREAM FILE greeting ""\n') is None:
            return
        await command(b'SET VARIABLE SAMAD_BENCH_ECHO "' + token + b'"\n')
    except ConnectionError:
        pass
    finally:
        writer.close()


def b2_session(sock: socket.socket) -> None:
    """B2: the same script on a blocking socket, one thread per connection (wazo-agid)."""
    rfile = sock.makefile("rb")

    def command(line: bytes) -> bytes | None:
        sock.sendall(line)
        reply = rfile.readline()
        if reply.startswith(b"HANGUP"):
            rfile.readline()
            return None
        return reply if reply.startswith(b"200 ") else None

    try:
        while (line := rfile.readline()) not in (b"\n", b""):
            pass
        if not line or command(b"ANSWER\n") is None:
            return
        reply = command(b"GET VARIABLE SAMAD_BENCH_TOKEN\n")
        if reply is None:
            return
        token = reply.partition(b"(")[2].rpartition(b")")[0]
        if command(b'STREAM FILE greeting ""\n') is None:
            return
        command(b'SET VARIABLE SAMAD_BENCH_ECHO "' + token + b'"\n')
    except OSError:
        pass
    finally:
        rfile.close()
