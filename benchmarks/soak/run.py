"""One soak run: start the stack, place the calls while faults are injected, drain, account.

Faults come in cycles spread evenly over the placement window, each cycle in this order:
samad-ivr frozen (SIGSTOP) for a few seconds then SIGKILLed, so FastAGI sessions die in
the middle (restarted ``down_s`` later), PostgreSQL stopped and started again
(``down_s`` down), Kannel stopped and started again (``kannel_down_s`` down), every AMI
session of samad-ivr cut by Asterisk.  After the last call the run waits for the
callers' channels to end, then for the accounting to hold (spool replay, recording
sweep, SMS retries), bounded by ``settle_s``.  Whatever happens, everything this run
started is stopped in ``finally``.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from typing import Any

import asyncpg

from benchmarks.db import _migrate_and_seed
from benchmarks.soak.accounting import account
from benchmarks.soak.stack import AMI_SECRET, DATABASE, Ports, Stack
from benchmarks.soak.traffic import Plan, place_all, soak_channels
from samad_ivr.ami.client import AmiClient
from samad_ivr.settings import AmiSettings, Secret

log = logging.getLogger(__name__)

DESK = "Local/desk@samad-soak-desk"
FAULTS = ("service_kill", "postgres_restart", "kannel_down", "ami_cut")
DRAIN_S = 180.0
RELOGIN_S = 60.0
FREEZE_S = 3.0  # samad-ivr stopped (SIGSTOP) before its SIGKILL


@dataclass(frozen=True)
class SoakConfig:
    ports: Ports
    calls: int
    window_s: float
    cycles: int = 1
    down_s: float = 8.0
    kannel_down_s: float = 15.0
    settle_s: float = 240.0
    seed: int = 14


async def _fresh_database(stack: Stack) -> None:
    admin = await asyncpg.connect(stack.admin_url, timeout=10)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{DATABASE}"')
    finally:
        await admin.close()
    await _migrate_and_seed(stack.database_url, DESK)


async def _fault(stack: Stack, kind: str, cfg: SoakConfig, t0: float) -> dict[str, Any]:
    at = round(time.monotonic() - t0, 1)
    detail: dict[str, Any] = {"fault": kind, "at_s": at}
    if kind == "service_kill":
        detail["agi_sessions_killed"] = await asyncio.to_thread(stack.kill_service, FREEZE_S)
        await asyncio.sleep(cfg.down_s)
        await asyncio.to_thread(stack.start_service)
        detail["down_s"] = round(time.monotonic() - t0 - at, 1)
    elif kind == "postgres_restart":
        await asyncio.to_thread(stack.stop_postgres)
        await asyncio.sleep(cfg.down_s)
        await asyncio.to_thread(stack.start_postgres)
        detail["down_s"] = round(time.monotonic() - t0 - at, 1)
    elif kind == "kannel_down":
        await asyncio.to_thread(stack.stop_kannel)
        await asyncio.sleep(cfg.kannel_down_s)
        await asyncio.to_thread(stack.start_kannel)
        detail["down_s"] = round(time.monotonic() - t0 - at, 1)
    else:
        cut = await asyncio.to_thread(stack.cut_ami)
        detail["sessions_cut"] = cut
        # samad-ivr (live state and its AMI client) and the soak's caller log in again.
        while len(await asyncio.to_thread(stack.ami_sessions)) < cut:
            if time.monotonic() - t0 - at > RELOGIN_S:
                break
            await asyncio.sleep(0.5)
        else:
            detail["relogin_s"] = round(time.monotonic() - t0 - at, 1)
    log.info("soak: fault %s", detail)
    return detail


async def _inject(stack: Stack, cfg: SoakConfig, t0: float) -> list[dict[str, Any]]:
    """Faults spread over the window; each starts no earlier than its slot."""
    slots = cfg.cycles * len(FAULTS)
    step = cfg.window_s / (slots + 1)
    done: list[dict[str, Any]] = []
    for i in range(slots):
        delay = t0 + (i + 1) * step - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        done.append(await _fault(stack, FAULTS[i % len(FAULTS)], cfg, t0))
    return done


async def _until(what: str, check: Any, timeout: float) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = await check()
        if value[0] or time.monotonic() > deadline:
            if not value[0]:
                log.warning("soak: %s did not happen within %.0f s", what, timeout)
            return value[1]
        await asyncio.sleep(5)


async def run(cfg: SoakConfig) -> dict[str, Any]:
    stack = Stack(cfg.ports)
    plan = Plan.make(cfg.calls, cfg.window_s, cfg.seed)
    started = time.monotonic()
    result: dict[str, Any] = {"config": {k: v for k, v in vars(cfg).items() if k != "ports"}}
    result["config"]["instance"] = cfg.ports.instance
    try:
        stack.start_postgres()
        await _fresh_database(stack)
        stack.start_kannel()
        stack.start_asterisk()
        stack.start_service()
        ami = AmiClient(
            AmiSettings(
                host="127.0.0.1", port=cfg.ports.ami, username="samad", secret=Secret(AMI_SECRET)
            )
        )
        await ami.connect()
        try:
            t0 = time.monotonic()
            faults, _ = await asyncio.gather(_inject(stack, cfg, t0), place_all(ami, plan))
            result["placement_s"] = round(time.monotonic() - t0, 1)
            result["faults"] = faults
            prefix = plan.calls[0].number[:6] if plan.calls else "0919"

            async def drained() -> tuple[bool, int]:
                left = await soak_channels(ami, prefix)
                return left == 0, left

            result["channels_left"] = await _until("the calls to end", drained, DRAIN_S)
        finally:
            ami.close()

        async def settled() -> tuple[bool, dict[str, Any]]:
            if not stack.service_alive():
                raise RuntimeError("samad-ivr serve died during the soak")
            acc = await account(
                stack.database_url,
                plan,
                stack.recordings_dir,
                stack.kannel_access_log,
                stack.access_log_offset,
            )
            return bool(acc["holds"]), acc

        t_settle = time.monotonic()
        result["accounting"] = await _until("the accounting to hold", settled, cfg.settle_s)
        result["settle_s"] = round(time.monotonic() - t_settle, 1)
        result["spool"] = stack.spool_counts()
        result["calls"] = plan.counts()
        result["unplaced"] = [
            {"number": c.number, "kind": c.kind, "placed": c.placed, "error": c.error}
            for c in plan.calls
            if not c.placed
        ]
    finally:
        stack.stop_all()
        result["elapsed_s"] = round(time.monotonic() - started, 1)
    return result
