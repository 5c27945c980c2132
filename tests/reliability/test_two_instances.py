"""Two real `samad-ivr serve` processes on one database: both serve FastAGI, the jobs run
once (on the leader), and a leader killed with SIGKILL is replaced within the bound."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import asyncpg

# Leader.check_every (2 s) plus a new session's connect: the documented bound for a
# killed process (docs/reliability.md).
TAKEOVER_BOUND_SECONDS = 6.0
START_UP_JOBS = {"seed_holidays", "sync_softphone_desks", "deadlines", "ring_satisfaction",
                 "close_unanswered_satisfaction"}  # fmt: skip

LEADER_SQL = """
SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
WHERE l.locktype = 'advisory' AND l.classid = 23117 AND l.granted
  AND l.objid = hashtext('leader:hamedan')::oid
  AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Instance:
    def __init__(self, database_url: str, state: Path) -> None:
        self.agi_port = free_port()
        env = {
            **os.environ,
            "SAMAD_DATABASE_URL": database_url,
            "SAMAD_AGI_BIND": f"127.0.0.1:{self.agi_port}",
            "SAMAD_WEB_BIND": "127.0.0.1:0",
            "SAMAD_AMI_PORT": str(free_port()),  # nothing listens: the consoles degrade only
            "SAMAD_STATE_DIR": str(state),
            "SAMAD_SOUNDS_DIR": str(state / "sounds"),
        }
        for name in ("NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID"):
            env.pop(name, None)
        self.log = state.with_suffix(".log")
        with self.log.open("wb") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "samad_ivr", "serve"], env=env,
                stdout=out, stderr=subprocess.STDOUT,
            )  # fmt: skip

    @property
    def suffix(self) -> str:  # the end of its instance name (host:pid:port)
        return f":{self.proc.pid}:{self.agi_port}"

    def wait_listening(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, self.log.read_text(errors="replace")[-3000:]
            try:
                with socket.create_connection(("127.0.0.1", self.agi_port), timeout=1):
                    return
            except OSError:
                time.sleep(0.2)
        raise AssertionError(f"FastAGI on {self.agi_port} never listened")

    async def wait_for_log(self, text: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while text not in self.log.read_text(errors="replace"):
            assert time.monotonic() < deadline, f"{text!r} never logged"
            await asyncio.sleep(0.2)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


async def leader_name(conn: asyncpg.Connection) -> str | None:
    name: str | None = await conn.fetchval(LEADER_SQL)
    return name


async def until_leader(conn: asyncpg.Connection, instance: Instance, within: float = 30) -> None:
    deadline = time.monotonic() + within
    while not ((name := await leader_name(conn)) and name.endswith(instance.suffix)):
        assert time.monotonic() < deadline, f"{instance.suffix} not leader in {within}s: {name}"
        await asyncio.sleep(0.1)


async def runs_by_instance(conn: asyncpg.Connection) -> dict[str, list[str]]:
    rows = await conn.fetch("SELECT job, instance FROM job_runs ORDER BY id")
    found: dict[str, list[str]] = {}
    for r in rows:
        found.setdefault(r["job"], []).append(r["instance"])
    return found


async def test_two_instances_run_each_job_once_and_a_killed_leader_is_replaced(
    database_url: str, tmp_path: Path
) -> None:
    first = Instance(database_url, tmp_path / "a")
    second: Instance | None = None
    conn = await asyncpg.connect(database_url)
    try:
        first.wait_listening()
        await until_leader(conn, first)  # FastAGI listens before the scheduler starts
        second = Instance(database_url, tmp_path / "b")
        second.wait_listening()  # both serve FastAGI
        leader = await leader_name(conn)
        assert leader is not None
        assert leader.endswith(first.suffix)
        await second.wait_for_log("follows", 60)
        await asyncio.sleep(3)  # its start-up round of jobs (skipped) is over
        runs = await runs_by_instance(conn)
        for job in START_UP_JOBS:
            assert len(runs.get(job, [])) == 1, (job, runs)  # once, not once per instance
            assert runs[job][0].endswith(first.suffix)
        # The follower ran none (its spool replays, every 15 s, are its own: none yet).
        assert not [job for job, by in runs.items() for i in by if i.endswith(second.suffix)]

        first.proc.send_signal(signal.SIGKILL)
        killed = time.monotonic()
        first.proc.wait()
        await until_leader(conn, second, within=TAKEOVER_BOUND_SECONDS)
        took = time.monotonic() - killed
        print(f"leader replaced {took:.2f}s after SIGKILL")
        # The new leader runs the jobs from now on (sync_softphone_desks every 30 s).
        deadline = time.monotonic() + 40
        while time.monotonic() < deadline:
            runs = await runs_by_instance(conn)
            if any(i.endswith(second.suffix) for i in runs.get("sync_softphone_desks", [])):
                break
            await asyncio.sleep(1)
        else:
            raise AssertionError(f"the new leader ran no job: {runs}")
        assert len(runs["seed_holidays"]) == 1  # not re-run by the follower's start-up
    finally:
        await conn.close()
        first.stop()
        if second is not None:
            second.stop()
