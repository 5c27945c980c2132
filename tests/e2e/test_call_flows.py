"""Real calls through real Asterisk 22 with our dialplan, our service and PostgreSQL.

Each call is placed with AMI Originate: a Local channel whose one half is the caller
(tests/e2e/extensions_test.conf plays a spoken request) and whose other half enters the
hotline exactly as a trunk call would.  Desk endpoints are Local channels too.
"""

from __future__ import annotations

import hashlib
import wave
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import asyncpg

from samad_ivr.ami.client import AmiClient
from samad_ivr.audio.recording import channel_rms
from samad_ivr.cli import place_call
from samad_ivr.domain.tracking import is_valid_tracking_code
from samad_ivr.storage.roster import RosterRepository

from .conftest import AsteriskInstance, call_row, e2e_settings, wait_for

TEHRAN = ZoneInfo("Asia/Tehran")
ROOT_SOUNDS = Path(__file__).resolve().parents[2] / "recordings" / "fa"
CALL_TIMEOUT = 240.0


async def seed_roster(
    db: asyncpg.Pool, *, desk: str, deputy_desk: str | None = None, on_duty_now: bool = True
) -> tuple[int, int | None]:
    roster = RosterRepository(db)
    center = await roster.ensure_center("hamedan", "مرکز سامد همدان", "samad-desk")
    # Every day is a working day here, so "on duty now" holds on a Friday too.
    await roster.set_weekend(center, frozenset())
    agency = await roster.ensure_agency(center, "استانداری همدان")
    deputy_id = None
    if deputy_desk is not None:
        deputy_id = await roster.add_official(
            center, "معاون استاندار", "معاون استاندار", agency, deputy_desk
        )
    official = await roster.add_official(
        center, "استاندار همدان", "استاندار", agency, desk, deputy_id=deputy_id
    )
    now = datetime.now(UTC)
    if on_duty_now:
        await roster.add_slot(
            center, official, now - timedelta(minutes=5), now + timedelta(hours=1)
        )
    else:
        tomorrow = now.astimezone(TEHRAN).date() + timedelta(days=1)
        start = datetime.combine(tomorrow, datetime.min.time(), TEHRAN).replace(hour=9)
        await roster.add_slot(center, official, start, start + timedelta(hours=2))
    return official, deputy_id


async def place(ami: AmiClient, caller: str, exten: str, **variables: str) -> None:
    await ami.originate(
        channel="Local/111@samad-inbound",
        context="samad-test-caller",
        exten=exten,
        caller_id=f"<{caller}>",
        variables=variables,
        timeout_ms=20000,
    )


async def finished_call(db: asyncpg.Pool, caller: str) -> asyncpg.Record:
    async def ended() -> asyncpg.Record | None:
        return await call_row(db, caller)

    row = await wait_for(ended, CALL_TIMEOUT, f"the call from {caller} to end")
    assert isinstance(row, asyncpg.Record)
    return row


async def request_and_sms(
    db: asyncpg.Pool, call_id: int
) -> tuple[asyncpg.Record, list[asyncpg.Record]]:
    requests = await db.fetch("SELECT * FROM requests WHERE call_id = $1", call_id)
    assert len(requests) == 1, requests
    sms = await db.fetch("SELECT * FROM sms_outbox WHERE request_id = $1", requests[0]["id"])
    return requests[0], sms


def assert_tracking_sms(
    request: asyncpg.Record, sms: list[asyncpg.Record], caller_e164: str
) -> None:
    code = request["tracking_code"]
    assert is_valid_tracking_code(code)
    assert request["status"] == "registered"
    assert len(sms) == 1
    assert sms[0]["destination"] == caller_e164
    # The outbox worker of the service (log provider here) may already have sent it.
    assert sms[0]["status"] in ("queued", "submitted")
    assert code in sms[0]["body"].splitlines()


async def test_on_duty_call_answered_by_official_is_recorded_and_registered(
    asterisk: AsteriskInstance, ami: AmiClient, db_pool: asyncpg.Pool, start_service: object
) -> None:
    official, _ = await seed_roster(db_pool, desk="Local/answer@samad-test-desk")
    await start_service()  # type: ignore[operator]
    await place(ami, "09181234501", "speak", SAMAD_TEST_REPEATS="1")

    call = await finished_call(db_pool, "09181234501")
    assert call["disposition"] == "answered"
    assert call["route"] == "desk"
    assert call["official_id"] == official
    assert call["caller_e164"] == "+989181234501"
    assert call["linkedid"]

    request, sms = await request_and_sms(db_pool, call["id"])
    assert request["official_id"] == official
    assert request["agency_id"] is not None
    assert_tracking_sms(request, sms, "+989181234501")

    async def finished_recording() -> asyncpg.Record | None:
        return await db_pool.fetchrow(
            "SELECT * FROM recordings WHERE call_id = $1 AND kind = 'call' AND sha256 IS NOT NULL",
            call["id"],
        )

    recording = await wait_for(finished_recording, 60, "the call recording to be finalised")
    assert isinstance(recording, asyncpg.Record)
    path = asterisk.recordings_dir / recording["path"]
    assert hashlib.sha256(path.read_bytes()).hexdigest() == recording["sha256"]
    assert recording["size_bytes"] == path.stat().st_size
    talk = (call["ended_at"] - call["answered_at"]).total_seconds()
    assert abs(float(recording["duration_seconds"]) - talk) <= 2.0
    caller_side, hotline_side = channel_rms(path)
    assert caller_side > 0.01, "the caller's voice is missing from the recording"
    assert hotline_side > 0.01, "the hotline/official side is missing from the recording"


async def test_busy_desk_rolls_over_to_the_deputy(
    asterisk: AsteriskInstance, ami: AmiClient, db_pool: asyncpg.Pool, start_service: object
) -> None:
    _, deputy = await seed_roster(
        db_pool, desk="Local/busy@samad-test-desk", deputy_desk="Local/answer@samad-test-desk"
    )
    await start_service()  # type: ignore[operator]
    await place(ami, "09181234502", "speak", SAMAD_TEST_REPEATS="1")

    call = await finished_call(db_pool, "09181234502")
    assert call["disposition"] == "answered"
    assert call["route"] == "deputy"
    assert call["official_id"] == deputy
    request, sms = await request_and_sms(db_pool, call["id"])
    assert request["official_id"] == deputy
    assert_tracking_sms(request, sms, "+989181234502")


async def test_unanswered_desk_queues_then_takes_a_message(
    asterisk: AsteriskInstance, ami: AmiClient, db_pool: asyncpg.Pool, start_service: object
) -> None:
    await seed_roster(db_pool, desk="Local/noanswer@samad-test-desk")
    await start_service()  # type: ignore[operator]
    await place(ami, "09181234503", "speak", SAMAD_TEST_REPEATS="5")

    call = await finished_call(db_pool, "09181234503")
    assert call["disposition"] == "message"
    assert call["route"] == "queue"
    assert call["official_id"] is None
    assert call["queue_wait_seconds"] is not None
    request, sms = await request_and_sms(db_pool, call["id"])
    assert_tracking_sms(request, sms, "+989181234503")
    message = await db_pool.fetchrow(
        "SELECT * FROM recordings WHERE call_id = $1 AND kind = 'message'", call["id"]
    )
    assert message is not None
    assert float(message["duration_seconds"]) >= 1.0


async def test_caller_in_queue_presses_a_key_to_leave_a_message(
    asterisk: AsteriskInstance, ami: AmiClient, db_pool: asyncpg.Pool, start_service: object
) -> None:
    await seed_roster(db_pool, desk="Local/noanswer@samad-test-desk")
    await start_service(SAMAD_QUEUE_MAX_WAIT_SECONDS="120")  # type: ignore[operator]
    # Greeting, announcement, desk ringing (4 s) and the queue intro take under 40 s.
    await place(ami, "09181234504", "queue-key", SAMAD_TEST_KEY_AFTER="40", SAMAD_TEST_REPEATS="1")

    call = await finished_call(db_pool, "09181234504")
    assert call["disposition"] == "message"
    assert call["route"] == "queue"
    assert float(call["queue_wait_seconds"]) < 60
    request, sms = await request_and_sms(db_pool, call["id"])
    assert_tracking_sms(request, sms, "+989181234504")


async def test_off_hours_call_hears_next_session_and_leaves_a_message(
    asterisk: AsteriskInstance, ami: AmiClient, db_pool: asyncpg.Pool, start_service: object
) -> None:
    await seed_roster(db_pool, desk="Local/answer@samad-test-desk", on_duty_now=False)
    await start_service()  # type: ignore[operator]
    await place(ami, "09181234505", "speak", SAMAD_TEST_REPEATS="5")

    call = await finished_call(db_pool, "09181234505")
    assert call["disposition"] == "message"
    assert call["route"] == "closed"
    request, sms = await request_and_sms(db_pool, call["id"])
    assert request["official_id"] is None
    assert_tracking_sms(request, sms, "+989181234505")


async def test_caller_hanging_up_during_greeting_leaves_a_call_row_only(
    asterisk: AsteriskInstance, ami: AmiClient, db_pool: asyncpg.Pool, start_service: object
) -> None:
    await seed_roster(db_pool, desk="Local/answer@samad-test-desk")
    await start_service()  # type: ignore[operator]
    await place(ami, "09181234506", "hangup-early")

    call = await finished_call(db_pool, "09181234506")
    assert call["disposition"] == "abandoned"
    assert await db_pool.fetchval("SELECT count(*) FROM requests") == 0
    assert await db_pool.fetchval("SELECT count(*) FROM sms_outbox") == 0


async def test_samad_ivr_call_places_a_call_that_speaks_the_given_audio(
    asterisk: AsteriskInstance,
    db_pool: asyncpg.Pool,
    database_url: str,
    start_service: object,
    tmp_path: Path,
) -> None:
    await seed_roster(db_pool, desk="Local/answer@samad-test-desk")
    await start_service()  # type: ignore[operator]
    audio = tmp_path / "caller.wav"
    with wave.open(str(audio), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(8000)
        out.writeframes(ROOT_SOUNDS.joinpath("demo-caller-request.sln").read_bytes())

    settings = e2e_settings(asterisk, database_url)
    assert await place_call(settings, "09181234509", str(audio), "111") == 0

    call = await finished_call(db_pool, "09181234509")
    assert call["disposition"] == "answered"
    assert list((asterisk.sounds_dir / "demo-caller").glob("*.sln"))


async def test_samad_ivr_call_refuses_a_caller_id_that_is_not_a_number(
    asterisk: AsteriskInstance, database_url: str
) -> None:
    settings = e2e_settings(asterisk, database_url)
    assert await place_call(settings, "0918\r\nAction: Originate", None, "111") == 2


async def test_off_hours_caller_pressing_2_is_subscribed_to_session_notices(
    asterisk: AsteriskInstance, ami: AmiClient, db_pool: asyncpg.Pool, start_service: object
) -> None:
    await seed_roster(db_pool, desk="Local/answer@samad-test-desk", on_duty_now=False)
    await start_service()  # type: ignore[operator]
    await place(ami, "09181234510", "notice-key", SAMAD_TEST_REPEATS="2")

    call = await finished_call(db_pool, "09181234510")
    assert call["route"] == "closed"
    subscription = await db_pool.fetchrow(
        "SELECT * FROM subscriptions WHERE destination = '+989181234510'"
    )
    assert subscription is not None
    assert subscription["source"] == "ivr"
    assert call["disposition"] == "message"
