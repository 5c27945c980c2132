"""What /healthz and the FastAGI `health` route report: the real state of what calls need.

- database: a `SELECT 1` on the call path's own pool, bounded by `timeout`;
- ami: the action connection (listen-in, callbacks) is up;
- recordings: the directory takes a synced write and has the free space it needs
  (calls/recdir.py's probe, the same one the calls use);
- spool: its directory is writable and fewer than `backlog_limit` reports wait in it
  (a backlog that grows means the database is not taking the replays).

Any of them failing makes the node "degraded" (HTTP 503): calls still connect — they are
routed from the roster cache and spooled — but someone has to look.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from samad_ivr.calls.recdir import RecordingsDirProbe
from samad_ivr.calls.spool import Spool
from samad_ivr.storage.db import Pool, StorageUnavailable, connection


@dataclass(frozen=True, slots=True)
class Check:
    ok: bool
    detail: str = ""  # what is wrong; '' when ok
    figures: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class HealthReport:
    checks: dict[str, Check]

    @property
    def ok(self) -> bool:
        return all(check.ok for check in self.checks.values())

    @property
    def failing(self) -> list[str]:
        return [name for name, check in self.checks.items() if not check.ok]

    def as_json(self, *, details: bool) -> dict[str, object]:
        checks: dict[str, object] = {}
        for name, check in self.checks.items():
            entry: dict[str, object] = {"ok": check.ok}
            if details:
                entry.update(check.figures)
                if check.detail:
                    entry["detail"] = check.detail
            checks[name] = entry
        return {"status": "ok" if self.ok else "degraded", "checks": checks}


class HealthChecker:
    def __init__(
        self,
        *,
        pool: Pool,
        ami_connected: Callable[[], bool],
        recordings: RecordingsDirProbe,
        spool: Spool,
        backlog_limit: int,
        timeout: float = 1.0,
    ) -> None:
        self._pool = pool
        self._ami_connected = ami_connected
        self._recordings = recordings
        self._spool = spool
        self._backlog_limit = backlog_limit
        self._timeout = timeout

    async def check(self) -> HealthReport:
        database, recordings, spool = await asyncio.gather(
            self._database(), self._recordings_dir(), self._spool_state()
        )
        ami = Check(True) if self._ami_connected() else Check(False, "AMI not connected")
        return HealthReport(
            {"database": database, "ami": ami, "recordings": recordings, "spool": spool}
        )

    async def _database(self) -> Check:
        started = time.perf_counter()
        try:
            async with asyncio.timeout(self._timeout), connection(self._pool) as conn:
                await conn.fetchval("SELECT 1")
        except (StorageUnavailable, TimeoutError) as exc:
            return Check(False, f"database unavailable: {exc or type(exc).__name__}")
        return Check(True, figures={"latency_ms": round((time.perf_counter() - started) * 1000, 1)})

    async def _recordings_dir(self) -> Check:
        state = await self._recordings.state()
        figures = {} if state.free_bytes is None else {"free_bytes": float(state.free_bytes)}
        return Check(state.ok, state.detail, figures)

    async def _spool_state(self) -> Check:
        try:
            async with asyncio.timeout(self._timeout):
                backlog, writable = await asyncio.to_thread(self._spool_facts)
        except TimeoutError:
            return Check(False, f"{self._spool.directory}: no answer within {self._timeout}s")
        figures = {"backlog": float(backlog)}
        if not writable:
            return Check(False, f"{self._spool.directory}: not writable", figures)
        if backlog >= self._backlog_limit:
            return Check(
                False, f"{backlog} call reports waiting (limit {self._backlog_limit})", figures
            )
        return Check(True, figures=figures)

    def _spool_facts(self) -> tuple[int, bool]:
        directory = self._spool.directory
        try:
            directory.mkdir(parents=True, exist_ok=True)
        except OSError:
            return 0, False
        return len(self._spool.pending()), os.access(directory, os.W_OK | os.X_OK)
