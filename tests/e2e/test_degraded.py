"""Faults: the service down, the database down.  The caller can always leave a message,
and every such call reaches the database later through the spool."""

from __future__ import annotations

import asyncio
import json

import asyncpg

from samad_ivr.ami.client import AmiClient
from samad_ivr.app import Service

from .conftest import AsteriskInstance, call_row, wait_for
from .test_call_flows import assert_tracking_sms, place, request_and_sms, seed_roster


async def spooled_report(asterisk: AsteriskInstance, caller: str) -> dict[str, object] | None:
    for path in asterisk.spool_dir.glob("*.post_call.json"):
        report = json.loads(path.read_text("utf-8"))
        if report.get("caller_raw") == caller:
            return dict(report)
    return None


async def test_without_the_service_the_caller_still_leaves_a_message_for_later_intake(
    asterisk: AsteriskInstance, ami: AmiClient, db_pool: asyncpg.Pool, start_service: object
) -> None:
    await seed_roster(db_pool, desk="Local/answer@samad-test-desk")
    # Nothing listens on the FastAGI port: the dialplan's failure path takes over.
    await place(ami, "09181234507", "speak", SAMAD_TEST_REPEATS="3")

    async def spooled() -> dict[str, object] | None:
        return await spooled_report(asterisk, "09181234507")

    report = await wait_for(spooled, 180, "the fallback script to spool the call")
    assert isinstance(report, dict)
    assert report["source"] == "fallback"
    message = asterisk.recordings_dir / str(report["message"])
    assert message.stat().st_size > 8000, "the caller's message was not recorded"
    assert await db_pool.fetchval("SELECT count(*) FROM calls") == 0

    service: Service = await start_service()  # type: ignore[operator]
    await service.replay_spool()

    call = await call_row(db_pool, "09181234507")
    assert call is not None
    assert call["disposition"] == "message"
    assert call["route"] == "fallback"
    request, sms = await request_and_sms(db_pool, call["id"])
    assert_tracking_sms(request, sms, "+989181234507")
    assert not list(asterisk.spool_dir.glob("*.post_call.json"))
    assert (asterisk.spool_dir / "done").is_dir()


async def test_with_the_database_down_the_call_is_spooled_and_replayed(
    asterisk: AsteriskInstance,
    ami: AmiClient,
    db_pool: asyncpg.Pool,
    database_url: str,
    start_service: object,
) -> None:
    await seed_roster(db_pool, desk="Local/answer@samad-test-desk")
    # Port 9 on loopback: nothing listens, every connection is refused.
    down: Service = await start_service(  # type: ignore[operator]
        SAMAD_DATABASE_URL="postgresql://samad@127.0.0.1:9/samad"
    )
    await place(ami, "09181234508", "speak", SAMAD_TEST_REPEATS="4")

    async def spooled() -> dict[str, object] | None:
        return await spooled_report(asterisk, "09181234508")

    report = await wait_for(spooled, 180, "the service to spool the call")
    assert isinstance(report, dict)
    assert report["source"] == "fastagi"
    await down.stop()
    await asyncio.sleep(0.2)

    service: Service = await start_service()  # type: ignore[operator]
    await service.replay_spool()
    call = await call_row(db_pool, "09181234508")
    assert call is not None
    assert call["disposition"] == "message"
    request, sms = await request_and_sms(db_pool, call["id"])
    assert_tracking_sms(request, sms, "+989181234508")
