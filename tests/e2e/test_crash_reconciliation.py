"""samad-ivr killed with SIGKILL while a call is in progress: once it is back, the call is
in the database with its times and outcome, from Asterisk's own record (CEL), and its
recording is finalised — even when nothing else (no spool file) kept it."""

from __future__ import annotations

import asyncio
import hashlib
import os
import signal
import sys
from pathlib import Path
from urllib.parse import urlsplit

import asyncpg

from samad_ivr.ami.client import AmiClient
from samad_ivr.app import Service
from samad_ivr.calls.reconcile import CallReconciler

from .conftest import AGI_PORT, INSTANCE_ENV, AsteriskInstance, e2e_env, wait_for
from .test_call_flows import finished_call, place, seed_roster


def asterisk_etc() -> Path:
    instance = INSTANCE_ENV["SAMAD_ASTERISK_INSTANCE"]
    root = os.environ.get("SAMAD_ASTERISK_ROOT", "/var/cache/samad-ivr/asterisk-root")
    for base in (Path(root), Path("/")):
        etc = base / "etc/samad-asterisk" / instance
        if (etc / "cel_pgsql.conf").exists():
            return etc
    raise AssertionError("no cel_pgsql.conf written by scripts/asterisk-dev.sh")


def point_cel_at(asterisk: AsteriskInstance, database_url: str) -> None:
    url = urlsplit(database_url)
    (asterisk_etc() / "cel_pgsql.conf").write_text(
        "[global]\n"
        f"hostname = {url.hostname}\nport = {url.port}\ndbname = {url.path.lstrip('/')}\n"
        f"user = {url.username}\npassword = {url.password or ''}\n"
        "appname = asterisk-cel\ntable = cel\nusegmtime = yes\n",
        "utf-8",
    )
    asterisk.rx("module reload cel_pgsql.so")


async def test_a_call_in_progress_when_the_service_is_killed_is_stored_from_cel(
    asterisk: AsteriskInstance,
    ami: AmiClient,
    db_pool: asyncpg.Pool,
    database_url: str,
    start_service: object,
) -> None:
    point_cel_at(asterisk, database_url)
    official, _ = await seed_roster(db_pool, desk="Local/answer@samad-test-desk")
    env = {**os.environ, **e2e_env(asterisk, database_url)}
    serve = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "samad_ivr", "serve", env=env,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    try:

        async def listening() -> bool:
            try:
                _, writer = await asyncio.open_connection("127.0.0.1", AGI_PORT)
            except OSError:
                return False
            writer.close()
            return True

        await wait_for(listening, 60, "samad-ivr serve to listen")
        await place(ami, "09181234571", "speak", SAMAD_TEST_REPEATS="2")

        async def in_progress() -> asyncpg.Record | None:
            return await db_pool.fetchrow(
                "SELECT * FROM calls WHERE caller_raw = '09181234571' AND ended_at IS NULL"
            )

        started = await wait_for(in_progress, 60, "the call to be routed and stored")
        assert isinstance(started, asyncpg.Record)
        serve.send_signal(signal.SIGKILL)  # mid-call: the post_call will find nobody
        await asyncio.wait_for(serve.wait(), 10)
    finally:
        if serve.returncode is None:
            serve.kill()
            await serve.wait()

    async def event() -> int:
        count: int = await db_pool.fetchval(
            "SELECT count(*) FROM cel WHERE userdeftype = 'SAMAD_REPORT' AND uniqueid = $1",
            started["uniqueid"],
        )
        return count

    assert await wait_for(event, 120, "Asterisk's CEL record of the call's end") == 1
    # The fallback script spooled the call too; suppose that was lost as well (full disk,
    # a second fault): Asterisk's record alone must bring the call back.
    spooled = asterisk.spool_dir / f"{started['uniqueid']}.post_call.json"

    async def fallback_done() -> bool:
        return spooled.exists()

    await wait_for(fallback_done, 60, "the fallback script to spool the call")
    lost = asterisk.spool_dir / "lost"
    lost.mkdir(exist_ok=True)
    spooled.replace(lost / spooled.name)
    call = await db_pool.fetchrow("SELECT * FROM calls WHERE id = $1", started["id"])
    assert call["ended_at"] is None  # nobody stored its end

    service: Service = await start_service()  # type: ignore[operator]
    done = await CallReconciler(
        service.call_pool, service.intake, service.finaliser, center_code="hamedan", grace_seconds=0
    ).run()
    assert done.stored == 1

    call = await finished_call(db_pool, "09181234571")
    assert call["id"] == started["id"]
    assert call["disposition"] == "answered"
    assert call["route"] in ("desk", "queue")  # routed by the service, not the fallback
    assert call["official_id"] == official
    assert call["answered_at"] is not None
    # The node's name (asterisk.conf systemname, when the instance sets one) is part of
    # the call's identity, from Asterisk's own record as from the live path.
    node = os.environ.get("SAMAD_ASTERISK_SYSTEMNAME", "")
    assert call["systemname"] == node
    assert call["uniqueid"].startswith(f"{node}-" if node else "")
    assert call["started_at"] <= call["answered_at"] < call["ended_at"]
    request = await db_pool.fetchrow("SELECT * FROM requests WHERE call_id = $1", call["id"])
    assert request is not None  # registered, its tracking code queued like any call

    async def finalised() -> asyncpg.Record | None:
        return await db_pool.fetchrow(
            "SELECT * FROM recordings WHERE call_id = $1 AND sha256 IS NOT NULL", call["id"]
        )

    recording = await wait_for(finalised, 90, "the call's recording to be finalised")
    assert isinstance(recording, asyncpg.Record)
    path = asterisk.recordings_dir / recording["path"]
    assert hashlib.sha256(path.read_bytes()).hexdigest() == recording["sha256"]
    # Running again changes nothing: the call is complete now.
    again = await CallReconciler(
        service.call_pool, service.intake, service.finaliser, center_code="hamedan", grace_seconds=0
    ).run()
    assert again.stored == 0
