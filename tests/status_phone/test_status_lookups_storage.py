"""Status lookups on a real PostgreSQL: every attempt stored, the limits counted where
every instance sees them, the answer's SMS again at most once a day."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from agency.factories import make_staff
from lifecycle.factories import make_agency, make_center, make_request

from samad_ivr.domain.deadlines import DeadlinePolicy
from samad_ivr.domain.lifecycle import Status
from samad_ivr.domain.status_line import UNKNOWN_CALLER, Outcome, StatusLimits
from samad_ivr.domain.tracking import verhoeff_check_digit
from samad_ivr.sms.templates import TemplateRepository
from samad_ivr.storage.answers import AnswerWriter
from samad_ivr.storage.attachments import AttachmentStore
from samad_ivr.storage.db import Pool, StorageUnavailable, create_pool
from samad_ivr.storage.lifecycle import Actor, RequestLifecycle
from samad_ivr.storage.status_lookups import Resend, StatusLookupRepository

# Wednesday 1403-12-15 (2025-03-05), 10:00 in Tehran.
NOW = datetime(2025, 3, 5, 6, 30, tzinfo=UTC)
CALLER = "+989181234567"
LIMITS = StatusLimits(per_call=3, per_caller_hour=10, center_not_found_hour=30)


def repo(pool: Pool, limits: StatusLimits = LIMITS) -> StatusLookupRepository:
    return StatusLookupRepository(
        pool, limits=limits, center_code="hamedan", templates=TemplateRepository(pool)
    )


def absent_code(n: int) -> str:
    payload = f"{900000000 + n:09d}"
    return payload + verhoeff_check_digit(payload)


def wrong(code: str) -> str:
    return code[:-1] + str((int(code[-1]) + 1) % 10)


async def valid_request(pool: Pool, center_id: int) -> tuple[int, str]:
    """make_request's codes carry no check digit; give the request one that does."""
    request_id = await make_request(pool, center_id)
    payload = f"{100000000 + request_id:09d}"
    code = payload + verhoeff_check_digit(payload)
    await pool.execute("UPDATE requests SET tracking_code = $2 WHERE id = $1", request_id, code)
    return request_id, code


async def answered_request(pool: Pool, center_id: int) -> tuple[int, str]:
    request_id, code = await valid_request(pool, center_id)
    agency = await make_agency(pool, center_id, "ادارهٔ کل راه و شهرسازی")
    lifecycle = RequestLifecycle(pool, DeadlinePolicy())
    await lifecycle.assign(request_id, agency_id=agency, topic="other",
                           actor=Actor.named("desk_test"), now=NOW - timedelta(days=3))  # fmt: skip
    staff = await make_staff(pool, center_id, agency)
    writer = AnswerWriter(
        pool, lifecycle, AttachmentStore(Path("/nonexistent")), TemplateRepository(pool)
    )
    version = await pool.fetchval("SELECT version FROM requests WHERE id = $1", request_id)
    await writer.answer(request_id, user=staff, body="پاسخ دستگاه", files=[],
                        expected_version=version, now=NOW - timedelta(days=1))  # fmt: skip
    return request_id, code


@pytest.fixture
async def center_id(db_pool: Pool) -> int:
    return await make_center(db_pool)


async def test_a_valid_code_is_found_with_its_status_last_change_and_deadline(
    db_pool: Pool, center_id: int
) -> None:
    request_id, code = await valid_request(db_pool, center_id)
    agency = await make_agency(db_pool, center_id)
    lifecycle = RequestLifecycle(db_pool, DeadlinePolicy())
    assigned_at = NOW - timedelta(days=2)
    state = await lifecycle.assign(
        request_id, agency_id=agency, topic="other", actor=Actor.named("desk_test"), now=assigned_at
    )

    result = await repo(db_pool).look_up(
        call_uniqueid="1795894849.1", caller_bucket=CALLER, typed=code, now=NOW
    )
    assert result.outcome is Outcome.FOUND
    assert result.attempts_left == 2
    found = result.found
    assert found is not None
    assert found.request_id == request_id
    assert found.status is Status.ASSIGNED
    assert found.last_change == date(2025, 3, 3)
    assert found.due_on == state.due_on
    assert found.due_on is not None
    assert not found.answered
    row = await db_pool.fetchrow("SELECT * FROM status_lookups")
    assert (row["call_uniqueid"], row["typed"], row["outcome"]) == ("1795894849.1", code, "found")
    assert (row["valid"], row["found"], row["request_id"]) == (True, True, request_id)
    assert row["center_id"] == center_id
    assert row["caller_bucket"] == CALLER


async def test_a_wrong_check_digit_is_invalid_and_a_good_but_unknown_code_is_not_found(
    db_pool: Pool, center_id: int
) -> None:
    _, code = await valid_request(db_pool, center_id)
    lookups = repo(db_pool)
    bad = await lookups.look_up(
        call_uniqueid="1.1", caller_bucket=CALLER, typed=wrong(code), now=NOW
    )
    missing = await lookups.look_up(
        call_uniqueid="1.1", caller_bucket=CALLER, typed=absent_code(1), now=NOW
    )
    assert (bad.outcome, bad.found, bad.attempts_left) == (Outcome.INVALID, None, 2)
    assert (missing.outcome, missing.found, missing.attempts_left) == (Outcome.NOT_FOUND, None, 1)
    rows = await db_pool.fetch(
        "SELECT typed, outcome, valid, found FROM status_lookups ORDER BY id"
    )
    assert [tuple(r) for r in rows] == [
        (wrong(code), "invalid", False, False), (absent_code(1), "not_found", True, False),
    ]  # fmt: skip


async def test_a_fourth_code_in_one_call_is_refused_and_stored_as_refused(
    db_pool: Pool, center_id: int
) -> None:
    _, code = await valid_request(db_pool, center_id)
    lookups = repo(db_pool)
    for n in range(3):
        await lookups.look_up(
            call_uniqueid="1.1", caller_bucket=CALLER, typed=absent_code(n), now=NOW
        )
    fourth = await lookups.look_up(call_uniqueid="1.1", caller_bucket=CALLER, typed=code, now=NOW)
    assert (fourth.outcome, fourth.found, fourth.attempts_left) == (Outcome.LIMIT_CALL, None, 0)
    # Another call from the same number may go on.
    other = await lookups.look_up(call_uniqueid="1.2", caller_bucket=CALLER, typed=code, now=NOW)
    assert other.outcome is Outcome.FOUND
    outcomes = await db_pool.fetch("SELECT outcome FROM status_lookups ORDER BY id")
    assert [r["outcome"] for r in outcomes][-2:] == ["limit_call", "found"]


async def test_the_eleventh_code_from_one_number_in_an_hour_is_refused_then_allowed_later(
    db_pool: Pool, center_id: int
) -> None:
    _, code = await valid_request(db_pool, center_id)
    lookups = repo(db_pool)
    for n in range(10):
        call = f"2.{n // 3}"
        result = await lookups.look_up(
            call_uniqueid=call, caller_bucket=CALLER, typed=code, now=NOW + timedelta(minutes=n)
        )
        assert result.outcome is Outcome.FOUND
    eleventh = await lookups.look_up(
        call_uniqueid="2.9", caller_bucket=CALLER, typed=code, now=NOW + timedelta(minutes=30)
    )
    assert eleventh.outcome is Outcome.LIMIT_CALLER
    assert eleventh.attempts_left == 3  # the call itself has used none
    later = await lookups.look_up(
        call_uniqueid="2.10", caller_bucket=CALLER, typed=code, now=NOW + timedelta(minutes=61)
    )
    assert later.outcome is Outcome.FOUND


async def test_withheld_callers_share_one_hourly_allowance(db_pool: Pool, center_id: int) -> None:
    _, code = await valid_request(db_pool, center_id)
    lookups = repo(db_pool, StatusLimits(per_call=3, per_caller_hour=4, center_not_found_hour=30))
    outcomes = [
        (
            await lookups.look_up(
                call_uniqueid=f"3.{n}", caller_bucket=UNKNOWN_CALLER, typed=code, now=NOW
            )
        ).outcome
        for n in range(5)
    ]
    assert outcomes == [Outcome.FOUND] * 4 + [Outcome.LIMIT_CALLER]
    named = await lookups.look_up(call_uniqueid="3.9", caller_bucket=CALLER, typed=code, now=NOW)
    assert named.outcome is Outcome.FOUND


async def test_not_found_codes_at_the_center_run_out_for_every_caller(
    db_pool: Pool, center_id: int
) -> None:
    _, code = await valid_request(db_pool, center_id)
    lookups = repo(db_pool, StatusLimits(per_call=3, per_caller_hour=10, center_not_found_hour=3))
    # Invalid codes find nothing and are not counted against the center.
    for n in range(4):
        invalid = await lookups.look_up(
            call_uniqueid=f"4.{n + 20}", caller_bucket=f"+98918000{n + 20:04d}",
            typed=wrong(code), now=NOW,
        )  # fmt: skip
        assert invalid.outcome is Outcome.INVALID
    # A spoofer: a new number on every call, every guess with a correct check digit.
    for n in range(3):
        spoofed = f"+98918000{n:04d}"
        result = await lookups.look_up(
            call_uniqueid=f"4.{n}", caller_bucket=spoofed, typed=absent_code(n), now=NOW
        )
        assert result.outcome is Outcome.NOT_FOUND
    citizen = await lookups.look_up(call_uniqueid="4.9", caller_bucket=CALLER, typed=code, now=NOW)
    assert citizen.outcome is Outcome.LIMIT_CENTER
    after_an_hour = await lookups.look_up(
        call_uniqueid="4.10", caller_bucket=CALLER, typed=code, now=NOW + timedelta(minutes=61)
    )
    assert after_an_hour.outcome is Outcome.FOUND


async def test_two_instances_at_once_never_let_one_number_past_its_hourly_limit(
    db_pool: Pool, database_url: str, center_id: int
) -> None:
    _, code = await valid_request(db_pool, center_id)
    other_pool = await create_pool(database_url, min_size=1, max_size=10)
    try:
        instances = [repo(db_pool), repo(other_pool)]
        results = await asyncio.gather(*(
            instances[n % 2].look_up(call_uniqueid=f"5.{n}", caller_bucket=CALLER, typed=code,
                                     now=NOW)
            for n in range(20)
        ))  # fmt: skip
    finally:
        await other_pool.close()
    outcomes = [r.outcome for r in results]
    assert outcomes.count(Outcome.FOUND) == 10
    assert outcomes.count(Outcome.LIMIT_CALLER) == 10


async def test_the_answer_is_sent_again_once_per_tehran_day_to_the_request_s_own_number(
    db_pool: Pool, center_id: int
) -> None:
    request_id, code = await answered_request(db_pool, center_id)
    lookups = repo(db_pool)
    result = await lookups.look_up(
        call_uniqueid="6.1", caller_bucket=UNKNOWN_CALLER, typed=code, now=NOW
    )
    assert result.found is not None
    assert result.found.status is Status.ANSWERED
    assert result.found.answered
    assert result.found.answer_by_sms
    before = await db_pool.fetchval(
        "SELECT count(*) FROM sms_outbox WHERE request_id = $1", request_id
    )

    assert (
        await lookups.resend_answer(call_uniqueid="6.1", request_id=request_id, now=NOW)
        is Resend.SENT
    )
    assert (
        await lookups.resend_answer(
            call_uniqueid="6.1", request_id=request_id, now=NOW + timedelta(hours=5)
        )
        is Resend.ALREADY_TODAY
    )
    sms = await db_pool.fetch(
        "SELECT destination, body FROM sms_outbox WHERE request_id = $1 ORDER BY id", request_id
    )
    assert len(sms) == before + 1
    assert sms[-1]["destination"] == "+989181234567"
    assert sms[-1]["body"] == sms[0]["body"]  # the request_answered text, as first sent
    assert code in sms[-1]["body"].splitlines()

    # 21:00 UTC is already the next day in Tehran (00:30).
    next_day = datetime(2025, 3, 5, 21, 0, tzinfo=UTC)
    await lookups.look_up(call_uniqueid="6.2", caller_bucket=CALLER, typed=code, now=next_day)
    assert (
        await lookups.resend_answer(call_uniqueid="6.2", request_id=request_id, now=next_day)
        is Resend.SENT
    )
    resends = await db_pool.fetch("SELECT local_day, sms_id FROM status_answer_resends ORDER BY id")
    assert [r["local_day"] for r in resends] == [date(2025, 3, 5), date(2025, 3, 6)]
    assert all(r["sms_id"] is not None for r in resends)


async def test_nothing_is_sent_for_a_request_the_call_did_not_find_or_that_is_unanswered(
    db_pool: Pool, center_id: int
) -> None:
    answered, _ = await answered_request(db_pool, center_id)
    unanswered, code = await valid_request(db_pool, center_id)
    lookups = repo(db_pool)
    await lookups.look_up(call_uniqueid="7.1", caller_bucket=CALLER, typed=code, now=NOW)
    assert (
        await lookups.resend_answer(call_uniqueid="7.1", request_id=answered, now=NOW)
        is Resend.UNAVAILABLE
    )
    assert (
        await lookups.resend_answer(call_uniqueid="7.1", request_id=unanswered, now=NOW)
        is Resend.UNAVAILABLE
    )
    assert await db_pool.fetchval("SELECT count(*) FROM status_answer_resends") == 0


async def test_the_codes_typed_on_each_call_are_listed_in_order(
    db_pool: Pool, center_id: int
) -> None:
    request_id, code = await valid_request(db_pool, center_id)
    lookups = repo(db_pool)
    await lookups.look_up(call_uniqueid="8.1", caller_bucket=CALLER, typed=wrong(code), now=NOW)
    await lookups.look_up(call_uniqueid="8.1", caller_bucket=CALLER, typed=code, now=NOW)
    await lookups.look_up(call_uniqueid="8.2", caller_bucket=CALLER, typed="12", now=NOW)
    listed = await lookups.of_calls(["8.1", "8.2", "8.3"])
    assert [(x.typed, x.outcome, x.request_id) for x in listed["8.1"]] == [
        (wrong(code), Outcome.INVALID, None), (code, Outcome.FOUND, request_id),
    ]  # fmt: skip
    assert [x.outcome for x in listed["8.2"]] == [Outcome.INVALID]
    assert "8.3" not in listed


async def test_a_uniqueid_with_asterisk_s_systemname_prefix_is_stored(
    db_pool: Pool, center_id: int
) -> None:
    _, code = await valid_request(db_pool, center_id)
    result = await repo(db_pool).look_up(
        call_uniqueid="pbx-hamedan-1795894849.12", caller_bucket=CALLER, typed=code, now=NOW
    )
    assert result.outcome is Outcome.FOUND
    assert await db_pool.fetchval("SELECT call_uniqueid FROM status_lookups") == (
        "pbx-hamedan-1795894849.12"
    )


async def test_a_dead_database_is_reported_as_unavailable_not_as_a_crash() -> None:
    # Nothing listens on port 9 of loopback: every acquire fails to connect.
    pool = await create_pool("postgresql://samad@127.0.0.1:9/samad", min_size=0, max_size=1)
    try:
        with pytest.raises(StorageUnavailable):
            await repo(pool).look_up(
                call_uniqueid="9.1", caller_bucket=CALLER, typed="1234567890", now=NOW
            )
        with pytest.raises(StorageUnavailable):
            await repo(pool).resend_answer(call_uniqueid="9.1", request_id=1, now=NOW)
    finally:
        await pool.close()
