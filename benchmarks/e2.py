"""E2: a rush hour at a center with 3 desks, through real Asterisk 22 and our dialplan.

300 callers (benchmarks/e2_plan.py) arrive within 60 s at a center whose three desks
(``Local/t<k>@samad-bench-desk``: answer, talk 20 s) are on duty in its queue, through
E1's Asterisk instance and the real ``samad-ivr serve``.  Callers behave like people
(``[samad-bench-e2-caller]``): press 1 for a callback when offered, press 2 and speak a
message, keep waiting, or hang up after their own patience.  Called-back citizens answer
(``Local/{national}@samad-bench-citizen``).  The session ends SESSION_S after the first
arrival, so every callback is either made or, with less than CALLBACK_LEFT_S of the
session left, turned into a request with its SMS, within the run.  What became of each
caller is read from the ``calls`` and ``callbacks`` rows; CPU seconds of samad-ivr and
Asterisk from /proc over the same window.
"""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg

from benchmarks import asterisk, procstat
from benchmarks.e2_plan import Caller, Rows, account, callers
from samad_ivr.ami.client import AmiClient
from samad_ivr.settings import AmiSettings, Secret

log = logging.getLogger(__name__)

DESKS = 3
CALLERS = 300
WINDOW_S = 60.0
SESSION_S = 200  # the session (the desks' slots) ends this long after the first arrival
CALLBACK_LEFT_S = 90  # SAMAD_CALLBACK_MIN_SECONDS_LEFT
QUEUE_WAIT_S = 90  # SAMAD_QUEUE_MAX_WAIT_SECONDS: then the caller is offered a message
SETUP_S = 25  # service start and desks joining the queue, before the first arrival
DEADLINE_S = 300.0  # after the first arrival: every call ended and accounted, or failed


def desk(k: int) -> str:
    return f"Local/t{k}@samad-bench-desk"


async def _seed(url: str, session_ends: datetime) -> None:
    """`fresh_database`'s official becomes desk t0 until `session_ends`; two more desks."""
    from benchmarks.db import CENTER
    from samad_ivr.storage.db import create_pool
    from samad_ivr.storage.roster import RosterRepository

    pool = await create_pool(url, min_size=1, max_size=2)
    try:
        await pool.execute("UPDATE duty_slots SET ends_at = $1", session_ends)
        roster = RosterRepository(pool)
        center = await roster.ensure_center(CENTER, "مرکز سنجش", "samad-desk")
        agency = await roster.ensure_agency(center, "استانداری")
        start = datetime.now(UTC) - timedelta(hours=1)
        for k in range(1, DESKS):
            official = await roster.add_official(center, f"میز {k}", "معاون", agency, desk(k))
            await roster.add_slot(center, official, start, session_ends)
    finally:
        await pool.close()


async def e2_rush_hour(n: int = CALLERS) -> dict[str, Any]:
    from benchmarks.db import CENTER, fresh_database

    env = dict(
        line.split("=", 1) for line in asterisk._asterisk("start").splitlines() if "=" in line
    )
    silence = Path(env["SAMAD_SOUNDS_DIR"]) / "samad-bench" / "silence.sln"
    silence.parent.mkdir(parents=True, exist_ok=True)
    silence.write_bytes(bytes(2 * 8000 * 10))  # ten seconds: Record's silence detection
    try:
        ast_pid = asterisk._asterisk_pid(env)
        session_ends = datetime.now(UTC) + timedelta(seconds=SETUP_S + SESSION_S)
        async with fresh_database(desk(0)) as url:
            await _seed(url, session_ends)
            return await _run(n, url, env, ast_pid, CENTER, session_ends)
    finally:
        asterisk._asterisk("stop")


async def _run(
    n: int, url: str, env: dict[str, str], ast_pid: int, center: str, session_ends: datetime
) -> dict[str, Any]:
    service_env = asterisk.service_environment(
        env,
        url,
        center,
        SAMAD_CALLBACK_DIAL="Local/{national}@samad-bench-citizen",
        SAMAD_CALLBACK_MIN_SECONDS_LEFT=str(CALLBACK_LEFT_S),
        SAMAD_QUEUE_MAX_WAIT_SECONDS=str(QUEUE_WAIT_S),
    )
    plan = callers(n, WINDOW_S)
    service = await asyncio.to_thread(asterisk._start_service, service_env, n, "e2")
    try:
        await asyncio.to_thread(asterisk._wait_port, asterisk.AGI_PORT, 30)
        ami = AmiClient(
            AmiSettings(
                host="127.0.0.1",
                port=asterisk.AMI_PORT,
                username="samad",
                secret=Secret("samad-dev-secret"),
            )
        )
        await ami.connect()
        try:
            await asterisk.wait_members(ami, DESKS, 60)
            cpu_samad0 = procstat.cpu_seconds(service.pid)
            cpu_ast0 = procstat.cpu_seconds(ast_pid)
            started = time.monotonic()
            session_left = (session_ends - datetime.now(UTC)).total_seconds()
            originated = await asyncio.gather(
                *(_arrive(ami, c, started) for c in plan), return_exceptions=True
            )
        finally:
            ami.close()
        refused = [c.number for c, r in zip(plan, originated, strict=True) if r is not None]
        rows = await _wait_accounted(url, plan, started + DEADLINE_S)
        elapsed = time.monotonic() - started
        cpu_samad = procstat.cpu_seconds(service.pid) - cpu_samad0
        cpu_ast = procstat.cpu_seconds(ast_pid) - cpu_ast0
    finally:
        asterisk.stop_service(service)
    counts, failed = account(plan, rows)
    return {
        "callers": n,
        "desks": DESKS,
        "arrival_window_s": WINDOW_S,
        "session_left_at_first_arrival_s": round(session_left, 1),
        "plans": {p: sum(1 for c in plan if c.plan == p) for p in sorted({c.plan for c in plan})},
        "outcomes": counts,
        "originate_failed": len(refused),
        "failed_calls": counts["failed"],
        "failed_examples": failed[:10],
        "window_s": round(elapsed, 1),
        "samad_cpu_s": cpu_samad,
        "asterisk_cpu_s": cpu_ast,
        "samad_cpu_share_of_asterisk": cpu_samad / cpu_ast if cpu_ast else None,
    }


async def _arrive(ami: AmiClient, caller: Caller, started: float) -> BaseException | None:
    await asyncio.sleep(max(0.0, started + caller.at - time.monotonic()))
    variables = {"E2_PLAN": caller.plan, "E2_PATIENCE": str(caller.patience)}
    try:
        await ami.originate(
            channel="Local/111@samad-inbound",
            context="samad-bench-e2-caller",
            exten="s",
            caller_id=f"<{caller.number}>",
            variables=variables,
            timeout_ms=30000,
        )
    except Exception as exc:  # recorded as a failed call, not the end of the figure
        return exc
    return None


ROWS_SQL = """
SELECT c.caller_raw, c.disposition, c.route, c.ended_at,
       extract(epoch FROM c.ended_at - c.started_at)::float8 AS seconds,
       cb.status AS cb_status,
       (SELECT k.disposition FROM calls k WHERE k.uniqueid = cb.channel_id
         AND k.ended_at IS NOT NULL) AS cb_call,
       EXISTS (SELECT 1 FROM sms_outbox s WHERE s.request_id = cb.request_id) AS cb_sms
FROM calls c LEFT JOIN callbacks cb ON cb.origin_uniqueid = c.uniqueid
WHERE c.route IS DISTINCT FROM 'callback'
"""


def _national(raw: str) -> str:
    digits = "".join(ch for ch in raw if ch.isdigit())
    return "0" + digits[2:] if digits.startswith("98") else digits


async def _wait_accounted(url: str, plan: list[Caller], deadline: float) -> dict[str, Rows]:
    """Every caller's rows once all have ended (and their callbacks are settled), or what
    there is at the deadline."""
    conn = await asyncpg.connect(url)
    rows: dict[str, Rows] = {}
    try:
        while True:
            rows = {}
            for r in await conn.fetch(ROWS_SQL):
                rows[_national(r["caller_raw"])] = Rows(
                    r["disposition"] if r["ended_at"] is not None else None,
                    r["route"],
                    r["seconds"],
                    r["cb_status"],
                    r["cb_call"],
                    bool(r["cb_sms"]),
                )
            settled = [
                c for c in plan
                if (x := rows.get(c.number)) is not None and x.inbound is not None
                and (x.callback_status is None or x.callback_status == "converted"
                     or (x.callback_status == "reached" and x.callback_call is not None))
            ]  # fmt: skip
            if len(settled) == len(plan) or time.monotonic() > deadline:
                return rows
            await asyncio.sleep(2.0)
    finally:
        await conn.close()


def e2_rows(row: Any, e2: dict[str, Any]) -> list[dict[str, Any]]:
    out = e2["outcomes"]
    ended = ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in out.items() if k != "failed")
    n = e2["callers"]
    return [
        row("E2", f"{n} callers in {e2['arrival_window_s']:.0f} s, {e2['desks']} desks: failed",
            e2["failed_calls"] + e2["originate_failed"], "calls", "", None, "0",
            e2["failed_calls"] + e2["originate_failed"] == 0) | {"note": ended},
        row("E2", f"{n} callers: samad-ivr CPU", e2["samad_cpu_s"], "CPU s", "Asterisk",
            e2["asterisk_cpu_s"], "<= 0.10x Asterisk",
            e2["samad_cpu_s"] <= 0.10 * e2["asterisk_cpu_s"]),
    ]  # fmt: skip
