"""FastAGI load generator: plays Asterisk's side of many FastAGI sessions.

Per session it connects, sends the ``agi_*`` header block the way Asterisk 22 does,
answers each command (media commands after ``--media-delay``), optionally injects an
unsolicited ``HANGUP`` mid-dialog, and records connect->first-command latency, turnaround
(our reply sent -> the server's next command received), session time, failures and
desyncs.  Run it as its own process (``python -m benchmarks.loadgen``), pinned to another
core than the server; it prints one JSON object on its last stdout line.

Modes: ``closed`` (``--concurrency`` sessions in flight until ``--sessions`` are done),
``open`` (sessions started at ``--rate`` per second), ``burst`` (``--sessions`` connects
spread over ``--window-ms``) and ``park`` (``--sessions`` sessions held inside the media
command until ``release`` is read on stdin; prints ``{"parked": n}`` once all are there).
Every mode stops at ``--deadline`` seconds whatever happens.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import sys
import time
import zlib
from dataclasses import dataclass, field
from typing import Any

MEDIA_VERBS = ("STREAM FILE", "EXEC", "GET DATA", "RECORD FILE", "SAY ")
BENCH_SCRIPT = ("ANSWER", "GET VARIABLE", "STREAM FILE", "SET VARIABLE")
DEAD_CHANNEL = b"511 Command Not Permitted on a dead channel or intercepted channel\n"
# Asterisk gives up connecting to a FastAGI server after 2 s.
ASTERISK_CONNECT_LIMIT = 2.0


def header_block(route: str, port: int, uniqueid: str, caller: str) -> bytes:
    """The header lines Asterisk 22's res_agi writes for agi://host:port/route."""
    lines = [
        "agi_network: yes",
        f"agi_network_script: {route}",
        f"agi_request: agi://127.0.0.1:{port}/{route}",
        f"agi_channel: Local/s@samad-bench-{uniqueid}-00000001;2",
        "agi_language: fa",
        "agi_type: Local",
        f"agi_uniqueid: {uniqueid}",
        "agi_version: 22.10.1",
        f"agi_callerid: {caller}",
        "agi_calleridname: بنچمارک",
        "agi_callingpres: 0",
        "agi_callingani2: 0",
        "agi_callington: 0",
        "agi_callingtns: 0",
        "agi_dnid: 111",
        "agi_rdnis: unknown",
        "agi_context: samad-call",
        "agi_extension: s",
        "agi_priority: 14",
        "agi_enhanced: 0.0",
        "agi_accountcode: ",
        "agi_threadid: 140245071812288",
    ]
    return ("\n".join(lines) + "\n\n").encode("utf-8")


@dataclass
class Stats:
    started: int = 0
    ok: int = 0
    failures: dict[str, int] = field(default_factory=dict)
    desyncs: int = 0
    hangups_injected: int = 0
    post_hangup_commands: int = 0
    late_connects: int = 0  # slower than Asterisk's 2 s connect limit
    connect: list[float] = field(default_factory=list)
    first_command: list[float] = field(default_factory=list)
    turnaround: list[float] = field(default_factory=list)
    session: list[float] = field(default_factory=list)

    def fail(self, reason: str) -> None:
        self.failures[reason] = self.failures.get(reason, 0) + 1


class Session(asyncio.Protocol):
    def __init__(self, gen: LoadGen, uniqueid: str, hangup: bool, started: float) -> None:
        self.gen = gen
        self.uniqueid = uniqueid
        self.token = f"t{uniqueid}"
        self.hangup = hangup
        self.started = started
        self.buffer = b""
        self.commands = 0
        self.reply_sent: float | None = None
        self.hung_up = False
        self.desync = False
        self.route_seen = False
        self.echo_ok = False
        self.transport: asyncio.Transport | None = None
        self.done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.turnarounds: list[float] = []
        self.first_command: float | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        # A different mobile number per session, as on a real line: a caller-ID cache
        # in the server must not look better here than it is.
        caller = f"0918{zlib.crc32(self.uniqueid.encode()) % 10_000_000:07d}"
        transport.write(header_block(self.gen.route, self.gen.port, self.uniqueid, caller))

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while (end := self.buffer.find(b"\n")) >= 0:
            line, self.buffer = self.buffer[:end], self.buffer[end + 1 :]
            self.on_command(line.decode("utf-8", "replace"))

    def on_command(self, line: str) -> None:
        now = time.perf_counter()
        if self.first_command is None:
            self.first_command = now - self.started
        elif self.reply_sent is not None:
            self.turnarounds.append(now - self.reply_sent)
        self.reply_sent = None
        index = self.commands
        self.commands += 1
        if self.hung_up:
            self.gen.stats.post_hangup_commands += 1
            self.send(DEAD_CHANNEL)
            return
        if self.gen.route == "bench":
            self.check_bench(index, line)
        elif line.startswith('SET VARIABLE "SAMAD_ROUTE"') or (
            # The inbound route sets its variables in one MSet, the route among them.
            line.startswith('EXEC "MSet"') and "SAMAD_ROUTE=" in line
        ):
            self.route_seen = True
        media = line.startswith(MEDIA_VERBS) or (self.gen.route != "bench" and index == 2)
        if self.hangup and media:
            delay = self.gen.media_delay / 2
            self.gen.loop.call_later(delay, self.inject_hangup)
            return
        reply = self.reply_for(line)
        if media and self.gen.hold is not None:
            self.gen.parked += 1
            if self.gen.parked == self.gen.sessions:
                self.gen.all_parked.set()
            self.gen.hold.add_done_callback(lambda _f: self.send(reply))
        elif media and self.gen.media_delay > 0:
            self.gen.loop.call_later(self.gen.media_delay, self.send, reply)
        else:
            self.send(reply)

    def check_bench(self, index: int, line: str) -> None:
        expected = BENCH_SCRIPT[index] if index < len(BENCH_SCRIPT) else None
        if expected is None or not line.startswith(expected):
            self.desync = True
        elif expected == "SET VARIABLE":
            # Quoting the variable name is optional in AGI; the token must come back intact.
            self.echo_ok = line.replace('"', "") == f"SET VARIABLE SAMAD_BENCH_ECHO {self.token}"
            self.desync = self.desync or not self.echo_ok

    def reply_for(self, line: str) -> bytes:
        if line.startswith("ANSWER"):
            return b"200 result=0\n"
        if line.startswith("GET VARIABLE"):
            return f"200 result=1 ({self.token})\n".encode()
        if line.startswith("GET FULL VARIABLE"):
            return b"200 result=1 (" + b"|" * 16 + b")\n"
        if line.startswith("STREAM FILE"):
            return b"200 result=0 endpos=16000\n"
        if line.startswith(("SET VARIABLE", "EXEC", "VERBOSE")):
            return b"200 result=1\n" if line.startswith("SET") else b"200 result=0\n"
        return b"510 Invalid or unknown command\n"

    def inject_hangup(self) -> None:
        # As Asterisk does: the HANGUP line, then the interrupted command's own reply.
        self.hung_up = True
        self.gen.stats.hangups_injected += 1
        self.send(b"HANGUP\n200 result=-1 endpos=0\n")

    def send(self, reply: bytes) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(reply)
            self.reply_sent = time.perf_counter()

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.done.done():
            self.done.set_result(None)


class LoadGen:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.route: str = args.route
        self.port: int = args.port
        self.sessions: int = args.sessions
        self.media_delay: float = args.media_delay
        self.stats = Stats()
        self.loop = asyncio.get_running_loop()
        self.rng = random.Random(args.seed)
        self.prefix = f"{args.run_id}-{os.getpid()}"
        self.counter = 0
        self.parked = 0
        self.all_parked = asyncio.Event()
        self.hold: asyncio.Future[None] | None = None
        self.tasks: set[asyncio.Task[None]] = set()
        self.stats_extra: dict[str, Any] = {}

    async def session(self) -> None:
        self.counter += 1
        uniqueid = f"{self.prefix}.{self.counter}"
        hangup = self.rng.random() < self.args.hangup_fraction
        stats = self.stats
        stats.started += 1
        started = time.perf_counter()
        try:
            async with asyncio.timeout(self.args.connect_timeout):
                transport, proto = await self.loop.create_connection(
                    lambda: Session(self, uniqueid, hangup, started), "127.0.0.1", self.port
                )
        except (OSError, TimeoutError) as exc:
            stats.fail(f"connect:{type(exc).__name__}")
            return
        connected = time.perf_counter() - started
        stats.connect.append(connected)
        if connected > ASTERISK_CONNECT_LIMIT:
            stats.late_connects += 1
        try:
            async with asyncio.timeout(self.args.session_timeout):
                await proto.done
        except TimeoutError:
            transport.abort()
            stats.fail("timeout")
            return
        stats.session.append(time.perf_counter() - started)
        if proto.first_command is not None:
            stats.first_command.append(proto.first_command)
        stats.turnaround.extend(proto.turnarounds)
        if proto.desync:
            stats.desyncs += 1
        if hangup:
            if proto.hung_up:
                stats.ok += 1
            else:
                stats.fail("eof-before-hangup")
        elif self.route == "bench" and not proto.echo_ok:
            stats.fail("desync" if proto.desync else "incomplete")
        elif self.route != "bench" and not proto.route_seen:
            stats.fail("no-route-set")
        else:
            stats.ok += 1

    def spawn(self) -> asyncio.Task[None]:
        task = self.loop.create_task(self.session())
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
        return task

    async def closed(self) -> None:
        async def worker() -> None:
            while self.counter < self.sessions:
                await self.session()

        await asyncio.gather(*(worker() for _ in range(self.args.concurrency)))

    async def open(self) -> None:
        start = self.loop.time()
        for i in range(self.sessions):
            await asyncio.sleep(max(0.0, start + i / self.args.rate - self.loop.time()))
            if len(self.tasks) >= self.args.concurrency:
                self.stats.fail("generator-saturated")
                continue
            self.spawn()
        await asyncio.gather(*self.tasks)

    async def burst(self) -> None:
        start = self.loop.time()
        step = self.args.window_ms / 1000 / max(1, self.sessions)
        for i in range(self.sessions):
            delay = start + i * step - self.loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            self.spawn()
        self.stats_extra = {"spawn_window_ms": (self.loop.time() - start) * 1000}
        await asyncio.gather(*self.tasks)

    async def park(self) -> None:
        self.hold = self.loop.create_future()
        for _ in range(self.sessions):
            self.spawn()
            if len(self.tasks) % 100 == 0:
                await asyncio.sleep(0.01)  # ramp, as calls arrive over time
        await self.all_parked.wait()
        print(json.dumps({"parked": self.parked}), flush=True)
        await self.loop.run_in_executor(None, sys.stdin.readline)
        self.hold.set_result(None)
        await asyncio.gather(*self.tasks)

    async def run(self) -> dict[str, Any]:
        begin = time.perf_counter()
        try:
            async with asyncio.timeout(self.args.deadline):
                await getattr(self, self.args.mode)()
        except TimeoutError:
            self.stats.fail("deadline")
            for task in list(self.tasks):
                task.cancel()
            await asyncio.gather(*self.tasks, return_exceptions=True)
        wall = time.perf_counter() - begin
        s = self.stats
        return {
            "mode": self.args.mode,
            "route": self.route,
            "sessions_started": s.started,
            "sessions_ok": s.ok,
            "failures": s.failures,
            "failed": sum(s.failures.values()),
            "desyncs": s.desyncs,
            "hangups_injected": s.hangups_injected,
            "post_hangup_commands": s.post_hangup_commands,
            "late_connects": s.late_connects,
            "wall_s": wall,
            "sessions_per_s": s.ok / wall if wall else 0.0,
            "connect_ms": _percentiles(s.connect),
            "first_command_ms": _percentiles(s.first_command),
            "turnaround_ms": _percentiles(s.turnaround),
            "session_ms": _percentiles(s.session),
            **self.stats_extra,
        }


def _percentiles(values: list[float]) -> dict[str, float]:
    if not values:
        return {}
    ordered = sorted(values)

    def at(q: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000, 4)

    return {"n": len(ordered), "p50": at(0.5), "p90": at(0.9), "p99": at(0.99), "max": at(1.0)}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--route", default="bench")
    p.add_argument("--mode", choices=["closed", "open", "burst", "park"], default="closed")
    p.add_argument("--sessions", type=int, default=1000)
    p.add_argument("--concurrency", type=int, default=50)
    p.add_argument("--rate", type=float, default=1000.0)
    p.add_argument("--window-ms", type=float, default=100.0)
    p.add_argument("--media-delay", type=float, default=0.0)
    p.add_argument("--hangup-fraction", type=float, default=0.0)
    p.add_argument("--connect-timeout", type=float, default=10.0)
    p.add_argument("--session-timeout", type=float, default=30.0)
    p.add_argument("--deadline", type=float, default=60.0)
    p.add_argument("--seed", type=int, default=5)
    p.add_argument("--run-id", default="run")
    return p.parse_args(argv)


def main() -> None:
    args = parse_args()

    async def go() -> dict[str, Any]:
        return await LoadGen(args).run()

    print(json.dumps(asyncio.run(go())), flush=True)


if __name__ == "__main__":
    main()
