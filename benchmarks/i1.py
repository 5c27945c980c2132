"""I1: the call path isolated from the consoles and from a PostgreSQL that hangs.

`python -m benchmarks.i1 [--quick]` (or as figure I1 of `python -m benchmarks`):

1. its own PostgreSQL cluster (scripts/postgres-dev.sh with SAMAD_PG_DIR/PORT of its own:
   the dev cluster others use is never frozen), migrated, an official on duty;
2. the real `samad-ivr serve` (pinned to CPU 0) against it;
3. calls at a steady rate, each an `inbound` FastAGI session played the way Asterisk
   plays it (header, GET FULL VARIABLE, MSet) then its `post_call`, from this process
   (CPU 1); the *decision* is header sent -> the service closes the session, which is
   what the caller waits for after the greeting;
4. phases: baseline; the same calls while a separate process (CPU 1) keeps 1,000
   anonymous requests in flight on /login and /duty; the same calls while every process
   of the cluster is stopped with SIGSTOP for 10 s (SIGCONT always, in a finally);
5. afterwards every call placed must be in `calls` with its end (the spool replay
   stores the ones the frozen database could not take).

Target (docs/performance.md): p99 of the decision < 200 ms in both loaded phases, and
every call stored.  The baseline p99 is reported beside it (ratio).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import aiohttp
import asyncpg

from benchmarks.db import CENTER, DESK, _migrate_and_seed
from benchmarks.harness import REPO, pinned
from benchmarks.loadgen import _percentiles, header_block
from samad_ivr.calls.report import CHANNEL_FIELDS, FIELD_SEPARATOR

TARGET_P99_MS = 200.0
STATE = Path(os.environ.get("SAMAD_BENCH_I1_DIR", "/var/lib/samad-ivr/bench-i1"))
PG_PORT = int(os.environ.get("SAMAD_BENCH_I1_PG_PORT", "5499"))
SESSION_LIMIT_S = 10.0  # a decision slower than this counts as failed


class Cluster:
    """The benchmark's own PostgreSQL: started, frozen and thawed by its processes."""

    def __init__(self, directory: Path, port: int) -> None:
        self.env = {**os.environ, "SAMAD_PG_DIR": str(directory / "pg"), "SAMAD_PG_PORT": str(port)}
        self.data = directory / "pg"
        self.url = ""

    def _script(self, command: str) -> str:
        proc = subprocess.run(
            [str(REPO / "scripts/postgres-dev.sh"), command], env=self.env,
            capture_output=True, text=True, timeout=900, check=False,
        )  # fmt: skip
        if proc.returncode != 0:
            raise RuntimeError(f"postgres-dev.sh {command}: {proc.stderr[-2000:]}")
        return proc.stdout

    def start(self) -> None:
        self.url = self._script("start").strip().splitlines()[-1]

    async def fresh_database(self) -> str:
        """A new, empty database for this run (earlier runs' are dropped first)."""
        admin = await asyncpg.connect(self.url)
        try:
            for row in await admin.fetch("SELECT datname FROM pg_database WHERE datname ~ '^i1_'"):
                await admin.execute(f'DROP DATABASE "{row["datname"]}" WITH (FORCE)')
            name = f"i1_{os.getpid()}"
            await admin.execute(f'CREATE DATABASE "{name}"')
        finally:
            await admin.close()
        return urlunsplit(urlsplit(self.url)._replace(path="/" + name))

    def stop(self) -> None:
        with suppress(RuntimeError, subprocess.TimeoutExpired):
            self._script("stop")

    def processes(self) -> list[int]:
        """The postmaster and every process it forked (backends, checkpointer, ...)."""
        pid_file = self.data / "postmaster.pid"
        postmaster = int(pid_file.read_text().split()[0])
        children = []
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                with suppress(OSError, IndexError, ValueError):
                    stat = (entry / "stat").read_text()
                    if int(stat.rsplit(")", 1)[1].split()[1]) == postmaster:
                        children.append(int(entry.name))
        return [postmaster, *children]

    @contextmanager
    def frozen(self) -> Iterator[int]:
        """Every process of the cluster stopped (postmaster first: it forks no more)."""
        stopped: list[int] = []
        try:
            for pid in self.processes():
                with suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGSTOP)
                    stopped.append(pid)
            yield len(stopped)
        finally:
            for pid in reversed(stopped):
                with suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGCONT)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _post_call_values(started: float, ended: float) -> bytes:
    values = {"started_epoch": f"{started:.3f}", "ended_epoch": f"{ended:.3f}"}
    return FIELD_SEPARATOR.join(values.get(key, "") for key in CHANNEL_FIELDS).encode()


async def _session(port: int, route: str, uniqueid: str, variables: bytes) -> float:
    """One FastAGI session as Asterisk runs it; seconds until the service closed it."""
    started = time.perf_counter()
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(header_block(route, port, uniqueid, "09181234567"))
        async with asyncio.timeout(SESSION_LIMIT_S):
            while line := await reader.readline():
                if line.startswith(b"GET FULL VARIABLE"):
                    writer.write(b"200 result=1 (" + variables + b")\n")
                else:
                    writer.write(b"200 result=1\n")
        return time.perf_counter() - started
    finally:
        writer.close()
        with suppress(OSError):
            await writer.wait_closed()


class Calls:
    def __init__(self, port: int) -> None:
        self.port = port
        self.decisions: dict[str, list[float]] = {}
        self.failed: dict[str, int] = {}
        self.placed: list[str] = []

    async def _call(self, phase: str, uniqueid: str) -> None:
        self.placed.append(uniqueid)
        try:
            took = await _session(self.port, "inbound", uniqueid, b"")
            self.decisions.setdefault(phase, []).append(took)
            now = time.time()
            await _session(self.port, "post_call", uniqueid, _post_call_values(now - 30, now))
        except (OSError, TimeoutError):
            self.failed[phase] = self.failed.get(phase, 0) + 1

    async def run(self, phase: str, rate: float, seconds: float) -> None:
        tasks, deadline, n = [], time.monotonic() + seconds, 0
        while time.monotonic() < deadline:
            n += 1
            uniqueid = f"{int(time.time())}.{phase[:1]}{len(self.placed)}"
            tasks.append(asyncio.create_task(self._call(phase, uniqueid)))
            await asyncio.sleep(1 / rate)
        await asyncio.gather(*tasks)


def _web_load_process(base: str, concurrency: int, seconds: float) -> subprocess.Popen[str]:
    argv = [sys.executable, "-m", "benchmarks.i1", "--web-load", base,
            "--concurrency", str(concurrency), "--seconds", str(seconds)]  # fmt: skip
    return subprocess.Popen(pinned("1", argv), cwd=REPO, stdout=subprocess.PIPE, text=True)


async def web_load(base: str, concurrency: int, seconds: float) -> dict[str, Any]:
    """`concurrency` anonymous clients, each GET /login then /duty in turn, no pause."""
    statuses: dict[str, int] = {}
    deadline = time.monotonic() + seconds
    timeout = aiohttp.ClientTimeout(total=60)
    connector = aiohttp.TCPConnector(limit=0, force_close=True)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as http:

        async def client(index: int) -> None:
            paths = ("/login", "/duty")
            while time.monotonic() < deadline:
                path = paths[index % 2]
                index += 1
                try:
                    async with http.get(base + path) as response:
                        await response.read()
                        key = str(response.status)
                except (aiohttp.ClientError, TimeoutError) as exc:
                    key = type(exc).__name__
                statuses[key] = statuses.get(key, 0) + 1

        await asyncio.gather(*(client(i) for i in range(concurrency)))
    return {"concurrency": concurrency, "seconds": seconds, "responses": statuses}


def _service(url: str, agi: int, web: int) -> subprocess.Popen[bytes]:
    state = STATE / "state"
    env = {
        **os.environ,
        "SAMAD_DATABASE_URL": url, "SAMAD_CENTER": CENTER,
        "SAMAD_AGI_BIND": f"127.0.0.1:{agi}", "SAMAD_WEB_BIND": f"127.0.0.1:{web}",
        "SAMAD_AMI_PORT": str(_free_port()), "SAMAD_STATE_DIR": str(state),
        "SAMAD_SOUNDS_DIR": str(state / "sounds"), "SAMAD_LOG_LEVEL": "WARNING",
    }  # fmt: skip
    log = (STATE / "service.log").open("wb")
    argv = pinned("0", [sys.executable, "-m", "samad_ivr", "serve"])
    return subprocess.Popen(argv, cwd=REPO, env=env, stdout=log, stderr=log)


async def _wait_listening(web: int, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 120
    async with aiohttp.ClientSession() as http:
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(
                    f"samad-ivr serve exited {proc.returncode} ({STATE}/service.log)"
                )
            with suppress(aiohttp.ClientError):
                async with http.get(f"http://127.0.0.1:{web}/healthz") as response:
                    if response.status in (200, 503):
                        return
            await asyncio.sleep(0.5)
    raise RuntimeError("samad-ivr serve did not listen within 120 s")


async def _stored(url: str, uniqueids: list[str], wait_s: float) -> tuple[int, float]:
    """How many of the calls are in `calls` with their end, waiting for the replays."""
    started = time.monotonic()
    conn = await asyncpg.connect(url)
    try:
        while True:
            n = await conn.fetchval(
                "SELECT count(*) FROM calls WHERE uniqueid = ANY($1) AND ended_at IS NOT NULL",
                uniqueids,
            )
            if n == len(uniqueids) or time.monotonic() - started > wait_s:
                return n, time.monotonic() - started
            await asyncio.sleep(2)
    finally:
        await conn.close()


async def measure(quick: bool) -> dict[str, Any]:
    rate, baseline_s, burst_s, freeze_s = (10.0, 5.0, 6.0, 3.0) if quick else (20.0, 15, 20, 10.0)
    concurrency = 200 if quick else 1000
    await asyncio.to_thread(STATE.mkdir, parents=True, exist_ok=True)
    cluster = Cluster(STATE, PG_PORT)
    await asyncio.to_thread(cluster.start)
    service = None
    try:
        url = await cluster.fresh_database()
        await _migrate_and_seed(url, DESK)
        agi, web = _free_port(), _free_port()
        service = _service(url, agi, web)
        await _wait_listening(web, service)
        calls = Calls(agi)
        await calls.run("warmup", rate, 3)
        await calls.run("baseline", rate, baseline_s)

        load = _web_load_process(f"http://127.0.0.1:{web}", concurrency, burst_s + 4)
        await asyncio.sleep(3)  # every client in flight first
        await calls.run("web_burst", rate, burst_s)
        out, _ = await asyncio.to_thread(load.communicate, None, burst_s + 120)
        web_result = json.loads(out.strip().splitlines()[-1])

        with cluster.frozen() as stopped:
            await calls.run("frozen", rate, freeze_s)
        stored, waited = await _stored(url, calls.placed, 120)
    finally:
        if service is not None:
            service.send_signal(signal.SIGTERM)
            try:
                service.wait(timeout=30)
            except subprocess.TimeoutExpired:
                service.kill()
                service.wait()
        await asyncio.to_thread(cluster.stop)
    phases = {name: _percentiles(values) for name, values in calls.decisions.items()}
    worst = max(phases[name].get("p99", 1e9) for name in ("web_burst", "frozen"))
    base = phases["baseline"].get("p99") or 1e-9
    return {
        "target_p99_ms": TARGET_P99_MS,
        "decision_ms": phases,
        "failed": calls.failed,
        "web_load": web_result,
        "frozen_processes": stopped,
        "freeze_s": freeze_s,
        "calls_placed": len(calls.placed),
        "calls_stored": stored,
        "stored_after_s": round(waited, 1),
        "worst_p99_vs_baseline": round(worst / base, 2),
        "ok": worst < TARGET_P99_MS and stored == len(calls.placed) and not calls.failed,
    }


async def run(ctx: Any) -> dict[str, Any]:
    """The figure (benchmarks/figures.py): `ctx.quick` selects the smoke size."""
    return await measure(bool(getattr(ctx, "quick", False)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--web-load", metavar="BASE_URL")
    parser.add_argument("--concurrency", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=20)
    args = parser.parse_args()
    if args.web_load:
        result = asyncio.run(web_load(args.web_load, args.concurrency, args.seconds))
    else:
        result = asyncio.run(measure(args.quick))
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()


def i1_rows(row: Any, i1: dict[str, Any]) -> list[dict[str, Any]]:
    """docs/performance.md rows; `row` is benchmarks.report's row maker."""
    phases = i1.get("decision_ms", {})
    base = phases.get("baseline", {}).get("p99")
    rows = []
    for phase, what in (("web_burst", "1,000 web clients"), ("frozen", "PostgreSQL frozen")):
        p99 = phases.get(phase, {}).get("p99")
        failed = i1.get("failed", {}).get(phase, 0)
        label = f"inbound decision p99, {what}" + (f" ({failed} calls failed)" if failed else "")
        passed = p99 is not None and p99 < TARGET_P99_MS and not failed
        rows.append(row("I1", label, p99, "ms", "calls only", base, "< 200 ms", passed))
    placed, stored = i1.get("calls_placed"), i1.get("calls_stored")
    rows.append(
        row("I1", f"calls stored afterwards, of {placed}", stored, "calls", "", None,
            "every call", stored is not None and stored == placed)
    )  # fmt: skip
    return rows
