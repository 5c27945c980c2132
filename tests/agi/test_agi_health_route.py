"""The FastAGI `health` route: Asterisk (or a monitor) learns what fails on this node."""

from __future__ import annotations

import shlex
from pathlib import Path

import asyncpg

from samad_ivr.agi.routes import build_routes
from samad_ivr.calls.recdir import RecordingsDirProbe
from samad_ivr.calls.spool import Spool
from samad_ivr.ops.health import HealthChecker
from samad_ivr.storage.db import Pool, create_pool

from .fake_asterisk import FakeAsterisk, running_server

DEAD_DSN = "postgresql://samad@127.0.0.1:9/samad"


def checker(pool: Pool, tmp_path: Path) -> HealthChecker:
    (tmp_path / "recordings").mkdir(exist_ok=True)
    return HealthChecker(
        pool=pool, ami_connected=lambda: True,
        recordings=RecordingsDirProbe(tmp_path / "recordings", min_free_bytes=1),
        spool=Spool(tmp_path / "spool"), backlog_limit=5, timeout=1.0,
    )  # fmt: skip


async def test_the_fastagi_health_route_tells_asterisk_what_fails(
    db_pool: asyncpg.Pool, tmp_path: Path
) -> None:
    dead = await create_pool(DEAD_DSN, min_size=0, max_size=1)
    try:
        for pool, expect in ((db_pool, (b"ok", b"")), (dead, (b"degraded", b"database"))):
            routes = build_routes(
                None, None, status_deps=None, satisfaction_deps=None,  # type: ignore[arg-type]
                health_checker=checker(pool, tmp_path),
            )  # fmt: skip
            async with running_server({"health": routes["health"]}) as server:
                asterisk = await FakeAsterisk.connect(server.port, script="health")
                commands = []
                while (line := await asterisk.reader.readline()) != b"":
                    commands.append(line.decode().strip())
                    await asterisk.send(b"200 result=1")
                await asterisk.close()
            values = dict(_set_variables(commands))
            got = (values.get("SAMAD_HEALTH"), values.get("SAMAD_HEALTH_FAILING"))
            assert got == tuple(part.decode() for part in expect), commands
    finally:
        await dead.close()


def _set_variables(commands: list[str]) -> list[tuple[str, str]]:
    """What SET VARIABLE and EXEC MSet commands (as our channel quotes them) set."""
    found = []
    for command in commands:
        words = shlex.split(command)
        if words[:2] == ["SET", "VARIABLE"]:
            found.append((words[2], words[3]))
        elif words[:2] == ["EXEC", "MSet"]:
            found += [tuple(pair.split("=", 1)) for pair in words[2].split(",")]  # type: ignore[misc]
    return found
