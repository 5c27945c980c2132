"""Status by phone on a real Asterisk 22: what the caller hears is what Asterisk played.

The test caller (extensions_test.conf, exten `status`) presses 1 during the greeting and
types codes with SendDTMF.  What was played to the hotline's channel of that call is
read from Asterisk's own log (verbose 3: "<channel> Playing 'name.format'"), found by the
call's uniqueid; the lookups themselves from PostgreSQL.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import asyncpg
from agency.factories import make_staff
from lifecycle.factories import make_request

from samad_ivr.ami.client import AmiClient
from samad_ivr.domain.deadlines import DeadlinePolicy
from samad_ivr.domain.lifecycle import Status
from samad_ivr.domain.status_line import FoundRequest, status_prompts
from samad_ivr.domain.tracking import verhoeff_check_digit
from samad_ivr.sms.templates import TemplateRepository
from samad_ivr.storage.answers import AnswerWriter
from samad_ivr.storage.attachments import AttachmentStore
from samad_ivr.storage.lifecycle import Actor, RequestLifecycle

from .conftest import INSTANCE_ENV, AsteriskInstance
from .test_call_flows import finished_call, place, seed_roster

TEHRAN = ZoneInfo("Asia/Tehran")


def asterisk_log(asterisk: AsteriskInstance) -> Path:
    # recordings_dir is <root>/var/spool/samad-asterisk/<instance>/samad/recordings.
    var = asterisk.recordings_dir.parents[4]
    instance = INSTANCE_ENV["SAMAD_ASTERISK_INSTANCE"]
    return var / "log" / "samad-asterisk" / instance / "messages.log"


def played(log_text: str, uniqueid: str) -> list[str]:
    """The sound files Asterisk played to the hotline's channel of call `uniqueid`."""
    opened = re.search(r'NoOp\("([^"]+)", "Samad call ' + re.escape(uniqueid) + r'"\)', log_text)
    assert opened is not None, f"call {uniqueid} is not in Asterisk's log"
    playing = re.compile(r"<" + re.escape(opened[1]) + r"> Playing '([^']+)\.[a-z0-9]+'")
    return playing.findall(log_text)


async def request_with_code(db: asyncpg.Pool, *, answered: bool = False) -> tuple[int, str]:
    """An assigned request (answered too if asked) with a code that has its check digit."""
    center = await db.fetchval("SELECT id FROM centers WHERE code = 'hamedan'")
    request_id = await make_request(db, center, caller="+989181110001")
    payload = f"{200000000 + request_id:09d}"
    code = payload + verhoeff_check_digit(payload)
    await db.execute("UPDATE requests SET tracking_code = $2 WHERE id = $1", request_id, code)
    agency = await db.fetchval("SELECT id FROM agencies WHERE center_id = $1 LIMIT 1", center)
    lifecycle = RequestLifecycle(db, DeadlinePolicy())
    now = datetime.now(UTC)
    state = await lifecycle.assign(
        request_id, agency_id=agency, topic="other", actor=Actor.named("desk_test"),
        now=now - timedelta(days=2),
    )  # fmt: skip
    if answered:
        writer = AnswerWriter(
            db, lifecycle, AttachmentStore(Path("/nonexistent")), TemplateRepository(db)
        )
        await writer.answer(
            request_id, user=await make_staff(db, center, agency), body="پاسخ دستگاه",
            files=[], expected_version=state.version, now=now - timedelta(days=1),
        )  # fmt: skip
    return request_id, code


def wrong(code: str, off_by: int) -> str:
    """`code` with its check digit off by 1..9: never a valid code."""
    return code[:-1] + str((int(code[-1]) + off_by) % 10)


async def status_call(
    asterisk: AsteriskInstance,
    ami: AmiClient,
    db: asyncpg.Pool,
    caller: str,
    *,
    codes: str,
    gap: str,
    linger: str,
) -> tuple[asyncpg.Record, list[str]]:
    """Place a test caller who presses 1 and types `codes`; the call row and what it heard."""
    log = asterisk_log(asterisk)
    start = log.stat().st_size
    await place(
        ami, caller, "status", SAMAD_TEST_CODES=codes, SAMAD_TEST_GAP=gap, SAMAD_TEST_LINGER=linger
    )
    call = await finished_call(db, caller)
    return call, played(log.read_text(errors="replace")[start:], call["uniqueid"])


async def test_caller_pressing_1_and_a_valid_code_hears_the_status_and_gets_the_answer_again(
    asterisk: AsteriskInstance, ami: AmiClient, db_pool: asyncpg.Pool, start_service: object
) -> None:
    await seed_roster(db_pool, desk="Local/answer@samad-test-desk")
    request_id, code = await request_with_code(db_pool, answered=True)
    sms_before = await db_pool.fetchval(
        "SELECT count(*) FROM sms_outbox WHERE request_id = $1", request_id
    )
    await start_service()  # type: ignore[operator]
    # The code, then key 2 in the menu after the readout (about 20 s of it).
    call, files = await status_call(
        asterisk, ami, db_pool, "09181234521", codes=f"{code}-2", gap="28", linger="1"
    )
    lookups = await db_pool.fetch(
        "SELECT * FROM status_lookups WHERE call_uniqueid = $1", call["uniqueid"]
    )
    assert [(r["typed"], r["outcome"], r["request_id"]) for r in lookups] == [
        (code, "found", request_id)
    ]
    request = await db_pool.fetchrow("SELECT * FROM requests WHERE id = $1", request_id)
    changed = await db_pool.fetchval(
        "SELECT at FROM request_history WHERE request_id = $1 ORDER BY id DESC LIMIT 1",
        request_id,
    )
    heard = status_prompts(
        FoundRequest(request_id, Status.ANSWERED, changed.astimezone(TEHRAN).date(),
                     request["due_on"], answered=True, answer_by_sms=True)
    )  # fmt: skip
    assert "status-deadline" in heard
    assert heard[-1] == "status-answer-sent"

    # The greeting was cut by key 1: no routing, straight to the code, then the status.
    assert files[: 2 + len(heard)] == ["greeting", "status-enter-code", *heard]
    menu = ["status-menu-resend", "status-menu-another", "status-menu-route"]
    assert files[2 + len(heard) : 5 + len(heard)] == menu
    # Key 2: the answer is queued again, and the menu no longer offers it.
    resent = files.index("status-resent")
    assert files[resent + 1 : resent + 3] == ["status-menu-another", "status-menu-route"]
    assert "oncall-intro" not in files
    assert call["route"] is None
    sms = await db_pool.fetch(
        "SELECT destination, body FROM sms_outbox WHERE request_id = $1 ORDER BY id", request_id
    )
    assert len(sms) == sms_before + 1
    assert sms[-1]["destination"] == "+989181110001"  # the request's number, not the caller's
    resend = await db_pool.fetchrow("SELECT * FROM status_answer_resends")
    assert resend["request_id"] == request_id
    assert resend["call_uniqueid"] == call["uniqueid"]


async def test_wrong_check_digits_are_refused_and_a_fourth_attempt_is_refused_too(
    asterisk: AsteriskInstance, ami: AmiClient, db_pool: asyncpg.Pool, start_service: object
) -> None:
    await seed_roster(db_pool, desk="Local/answer@samad-test-desk")
    _, code = await request_with_code(db_pool)
    await start_service()  # type: ignore[operator]
    # Three codes with a wrong check digit, then 1 for "another code".
    codes = "-".join([*(wrong(code, n) for n in (3, 6, 9)), "1"])
    call, files = await status_call(
        asterisk, ami, db_pool, "09181234522", codes=codes, gap="6", linger="8"
    )
    lookups = await db_pool.fetch(
        "SELECT outcome, valid, found FROM status_lookups WHERE call_uniqueid = $1 ORDER BY id",
        call["uniqueid"],
    )
    assert [tuple(r) for r in lookups] == [("invalid", False, False)] * 3
    assert files.count("status-enter-code") == 3
    assert files.count("status-code-invalid") == 3
    # Refused at once: after each wrong code the caller is asked again, nothing else.
    first = files.index("status-code-invalid")
    assert files[first + 1] == "status-enter-code"
    # After the third, the call's limit is announced; the fourth try ("1") hears it again.
    third = len(files) - 1 - files[::-1].index("status-code-invalid")
    assert files[third + 1 : third + 3] == ["status-limit-call", "status-menu-route"]
    assert files[third + 3] == "status-limit-call"
