"""E1: concurrent recorded calls through real Asterisk 22 and our dialplan.

A separate Asterisk instance (``bench``: AMI 5040, FastAGI 4575, or
SAMAD_TEST_ASTERISK_INSTANCE / SAMAD_TEST_AMI_PORT / SAMAD_TEST_AGI_PORT) runs our dialplan with
MixMonitor on; ``samad-ivr serve`` runs in a subprocess against a fresh database with as
many officials on duty as there are concurrent calls, each with its own desk that
answers (``Local/d<k>@samad-bench-desk``), so every call of the burst can be in a
conversation at once: every routed call joins the center's queue, and one desk takes
one call at a time.  The run starts once all desks are members of the queue.  Calls are
AMI Originates of Local channels into ``samad-inbound``.  A call counts as completed when
its row is stored as answered at the desk with an end time; CPU seconds of samad-ivr and
Asterisk come from /proc over the same window.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import subprocess
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg

from benchmarks import procstat
from benchmarks.harness import PYTHON, REPO
from samad_ivr.ami.client import AmiClient
from samad_ivr.settings import AmiSettings, Secret

log = logging.getLogger(__name__)

# Its own instance, as the e2e tests and the soak pick theirs (SAMAD_TEST_*), so a run
# beside a developer's `make run` (5038) or `make test` (5039) collides with neither.
AGI_PORT = int(os.environ.get("SAMAD_TEST_AGI_PORT", "4575"))
AMI_PORT = int(os.environ.get("SAMAD_TEST_AMI_PORT", "5040"))
INSTANCE_ENV = {
    "SAMAD_ASTERISK_INSTANCE": os.environ.get("SAMAD_TEST_ASTERISK_INSTANCE", "bench"),
    "SAMAD_AGI_BIND": f"127.0.0.1:{AGI_PORT}",
    "SAMAD_AMI_PORT": str(AMI_PORT),
    "SAMAD_ASTERISK_EXTRA_CONF": " ".join(
        str(p)
        for p in (
            REPO / "dialplan/demo/extensions_demo.conf",
            REPO / "tests/e2e/extensions_test.conf",
            Path(__file__).with_name("extensions_bench.conf"),
        )
    ),
}
CALL_DEADLINE = 150.0


def _asterisk(*args: str) -> str:
    return subprocess.run(
        [str(REPO / "scripts/asterisk-dev.sh"), *args],
        env={**os.environ, **INSTANCE_ENV},
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    ).stdout


def stop_instance() -> None:
    """Stop E1's Asterisk (it daemonises out of the figure's process group); idempotent."""
    _asterisk("stop")


def _asterisk_pid(root_env: dict[str, str]) -> int:
    # The recordings dir is <root>/var/spool/samad-asterisk/<instance>/...; the pid file is
    # <root>/run/samad-asterisk/<instance>/asterisk.pid.
    rec = root_env["SAMAD_RECORDINGS_DIR"]
    root = rec.split("/var/spool/samad-asterisk/")[0]
    instance = INSTANCE_ENV["SAMAD_ASTERISK_INSTANCE"]
    return int(Path(root, f"run/samad-asterisk/{instance}/asterisk.pid").read_text().strip())


def _wait_port(port: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise TimeoutError(f"nothing listens on {port}")


async def e1_real_asterisk(calls: list[int]) -> dict[str, Any]:
    from benchmarks.db import CENTER, fresh_database

    env = dict(line.split("=", 1) for line in _asterisk("start").splitlines() if "=" in line)
    runs: list[dict[str, Any]] = []
    try:
        ast_pid = _asterisk_pid(env)
        for n in calls:
            async with fresh_database(desk_interface(0)) as url:
                await add_desks(url, n)
                run = await _one_run(n, url, env, ast_pid, CENTER)
            runs.append(run)
            log.info("E1 %d calls: %s", n, run)
            if run["failed_calls"] > n // 2:
                break  # the box does not cope; do not try a bigger load
    finally:
        _asterisk("stop")
    return {"runs": runs}


async def _one_run(
    n: int, url: str, env: dict[str, str], ast_pid: int, center: str
) -> dict[str, Any]:
    service_env = service_environment(env, url, center, SAMAD_DESK_RING_SECONDS="10")
    service = await asyncio.to_thread(_start_service, service_env, n)
    try:
        await asyncio.to_thread(_wait_port, AGI_PORT, 30)
        await asyncio.sleep(2)  # background migrations (already applied) settle
        ami = AmiClient(
            AmiSettings(
                host="127.0.0.1",
                port=AMI_PORT,
                username="samad",
                secret=Secret("samad-dev-secret"),
            )
        )
        await ami.connect()
        await wait_members(ami, n, 60)
        cpu_samad0, cpu_ast0 = procstat.cpu_seconds(service.pid), procstat.cpu_seconds(ast_pid)
        started = time.monotonic()
        try:
            originated = await asyncio.gather(
                *(_originate(ami, i) for i in range(n)), return_exceptions=True
            )
        finally:
            ami.close()
        refused = sum(1 for r in originated if isinstance(r, BaseException))
        done = await _wait_calls_done(url, n - refused, CALL_DEADLINE)
        elapsed = time.monotonic() - started
        cpu_samad = procstat.cpu_seconds(service.pid) - cpu_samad0
        cpu_ast = procstat.cpu_seconds(ast_pid) - cpu_ast0
        rss_mb = procstat.rss_kb(service.pid) / 1024
    finally:
        stop_service(service)
    return {
        "concurrent_calls": n,
        "originate_failed": refused,
        "completed_calls": done,
        "failed_calls": n - done,
        "window_s": round(elapsed, 1),
        "samad_cpu_s": cpu_samad,
        "asterisk_cpu_s": cpu_ast,
        "samad_cpu_share_of_asterisk": cpu_samad / cpu_ast if cpu_ast else None,
        "samad_rss_mb": rss_mb,
    }


def service_environment(env: dict[str, str], url: str, center: str, **extra: str) -> dict[str, str]:
    """`samad-ivr serve`'s environment against this instance and database."""
    return {
        **os.environ,
        **env,
        "SAMAD_DATABASE_URL": url,
        "SAMAD_AGI_BIND": f"127.0.0.1:{AGI_PORT}",
        "SAMAD_WEB_BIND": "127.0.0.1:0",
        "SAMAD_CENTER": center,
        **extra,
    }


def stop_service(service: subprocess.Popen[bytes]) -> None:
    service.terminate()
    try:
        service.wait(timeout=20)
    except subprocess.TimeoutExpired:
        service.kill()
        service.wait()


def desk_interface(k: int) -> str:
    return f"Local/d{k}@samad-bench-desk"


async def add_desks(url: str, n: int) -> None:
    """Officials 2..n beside `fresh_database`'s first one, each on duty with a desk."""
    from benchmarks.db import CENTER
    from samad_ivr.storage.db import create_pool
    from samad_ivr.storage.roster import RosterRepository

    pool = await create_pool(url, min_size=1, max_size=2)
    try:
        roster = RosterRepository(pool)
        center = await roster.ensure_center(CENTER, "مرکز سنجش", "samad-desk")
        agency = await roster.ensure_agency(center, "استانداری")
        now = datetime.now(UTC)
        for k in range(1, n):
            official = await roster.add_official(
                center, f"میز {k}", "کارشناس", agency, desk_interface(k)
            )
            await roster.add_slot(
                center, official, now - timedelta(hours=1), now + timedelta(hours=6)
            )
    finally:
        await pool.close()


async def wait_members(ami: AmiClient, n: int, timeout: float, queue: str = "samad-desk") -> None:
    """Until the service has made `n` desks members of the queue (QueueAdd)."""
    end = time.monotonic() + timeout
    members = 0
    while time.monotonic() < end:
        status = await ami.action_list({"Action": "QueueStatus", "Queue": queue}, timeout=10)
        members = sum(1 for m in status if m.get("Event") == "QueueMember")
        if members >= n:
            return
        await asyncio.sleep(1.0)
    raise TimeoutError(f"{members} of {n} desks joined {queue} within {timeout:.0f} s")


def _start_service(env: dict[str, str], n: int, name: str = "e1") -> subprocess.Popen[bytes]:
    """`samad-ivr serve` as deployed, logging at its default level to a file."""
    log_path = REPO / "benchmarks" / "results" / f"{name}-service-{n}.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("w") as service_log:
        return subprocess.Popen(
            [PYTHON, "-m", "samad_ivr", "serve"],
            cwd=REPO,
            env=env,
            stdout=service_log,
            stderr=subprocess.STDOUT,
        )


async def _originate(ami: AmiClient, i: int) -> None:
    await ami.originate(
        channel="Local/s@samad-bench-caller",
        context="samad-inbound",
        exten="111",
        caller_id=f"0918{i:07d}",
        timeout_ms=30000,
    )


async def _wait_calls_done(url: str, expected: int, deadline: float) -> int:
    """Calls stored as answered at the desk and ended; polls until all or the deadline."""
    conn = await asyncpg.connect(url)
    try:
        end = time.monotonic() + deadline
        done = 0
        while time.monotonic() < end:
            done = int(
                await conn.fetchval(
                    "SELECT count(*) FROM calls WHERE ended_at IS NOT NULL"
                    " AND disposition = 'answered'"
                )
            )
            if done >= expected:
                break
            await asyncio.sleep(1.0)
        return done
    finally:
        await conn.close()
