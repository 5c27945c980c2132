"""The lifecycle on a real PostgreSQL: moves, history, conflicts, what is never deleted."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime

import asyncpg
import pytest

from lifecycle.factories import add_closed_day, make_agency, make_center
from samad_ivr.domain.lifecycle import Action, Status
from samad_ivr.storage.db import Pool
from samad_ivr.storage.lifecycle import (
    Actor,
    InvalidAssignment,
    RequestLifecycle,
    StaleRequest,
    TransitionConflict,
)

# 2025-03-01 is a Saturday; 10:00 in Tehran.
NOW = datetime(2025, 3, 1, 6, 30, tzinfo=UTC)
DESK = Actor(job="desk_test")
STAFF = Actor(job="agency_test")


async def test_assignment_starts_a_ten_day_deadline_and_is_recorded(
    lifecycle: RequestLifecycle, request_id: int, agency_id: int
) -> None:
    state = await lifecycle.assign(
        request_id, agency_id=agency_id, topic="housing", actor=DESK, now=NOW, note="مسکن"
    )
    assert state.status is Status.ASSIGNED
    assert state.deadline_start == date(2025, 3, 1)
    # 2025-03-11 is a Tuesday: no move needed.
    assert state.due_on == date(2025, 3, 11)
    assert state.remind_on == date(2025, 3, 8)
    assert state.long_stop_on == date(2025, 3, 21)
    history = await lifecycle.history(request_id)
    assert [(h.action, h.from_status, h.to_status) for h in history] == [
        ("register", None, Status.REGISTERED),
        ("assign", Status.REGISTERED, Status.ASSIGNED),
    ]
    assert history[1].job == "desk_test"
    assert history[1].note == "مسکن"
    assert history[1].details["deadline"]["due_on"] == "2025-03-11"


async def test_deadline_on_a_holiday_moves_to_the_next_working_day(
    db_pool: Pool, lifecycle: RequestLifecycle, request_id: int, agency_id: int, center_id: int
) -> None:
    await add_closed_day(db_pool, center_id, date(2025, 3, 11), "تعطیل استانی")
    state = await lifecycle.assign(
        request_id, agency_id=agency_id, topic="housing", actor=DESK, now=NOW
    )
    assert state.due_on == date(2025, 3, 12)
    deadline = await lifecycle.deadline(state)
    assert deadline is not None
    assert [(s.day, s.reason) for s in deadline.skipped] == [(date(2025, 3, 11), "تعطیل استانی")]


async def test_a_move_not_in_the_table_is_refused_and_writes_nothing(
    lifecycle: RequestLifecycle, request_id: int
) -> None:
    with pytest.raises(TransitionConflict) as refused:
        await lifecycle.act(request_id, Action.ANSWER, actor=STAFF, now=NOW)
    assert "ثبت شده" in refused.value.message_fa
    state = await lifecycle.get(request_id)
    assert state is not None
    assert (state.status, state.version) == (Status.REGISTERED, 0)
    assert len(await lifecycle.history(request_id)) == 1


async def test_a_page_that_saw_an_older_version_gets_a_conflict(
    lifecycle: RequestLifecycle, request_id: int, agency_id: int
) -> None:
    await lifecycle.assign(request_id, agency_id=agency_id, topic="other", actor=DESK, now=NOW)
    with pytest.raises(StaleRequest):
        await lifecycle.act(request_id, Action.ANSWER, actor=STAFF, now=NOW, expected_version=0)


async def test_two_answers_at_once_one_wins_and_the_other_conflicts(
    lifecycle: RequestLifecycle, request_id: int, agency_id: int
) -> None:
    await lifecycle.assign(request_id, agency_id=agency_id, topic="other", actor=DESK, now=NOW)
    results = await asyncio.gather(
        *(lifecycle.act(request_id, Action.ANSWER, actor=STAFF, now=NOW) for _ in range(2)),
        return_exceptions=True,
    )
    assert sum(isinstance(r, TransitionConflict) for r in results) == 1
    answers = [h for h in await lifecycle.history(request_id) if h.action == "answer"]
    assert len(answers) == 1


async def test_an_agency_of_another_province_cannot_be_assigned(
    db_pool: Pool, lifecycle: RequestLifecycle, request_id: int
) -> None:
    other = await make_agency(db_pool, await make_center(db_pool, "tehran"))
    with pytest.raises(InvalidAssignment):
        await lifecycle.assign(request_id, agency_id=other, topic="other", actor=DESK, now=NOW)


async def test_an_answer_after_the_deadline_day_is_late(
    lifecycle: RequestLifecycle, request_id: int, agency_id: int
) -> None:
    await lifecycle.assign(request_id, agency_id=agency_id, topic="other", actor=DESK, now=NOW)
    # 2025-03-11 23:59 Tehran is still on time; 2025-03-12 00:01 is late.
    on_time = datetime(2025, 3, 11, 20, 29, tzinfo=UTC)
    state = await lifecycle.act(request_id, Action.ANSWER, actor=STAFF, now=on_time)
    assert state.answered_late is False
    state = await lifecycle.act(
        request_id, Action.SEND_BACK, actor=DESK, now=on_time, deadline_days=5
    )
    assert (state.status, state.due_on) == (Status.ASSIGNED, date(2025, 3, 16))
    assert state.answered_at is None
    late = datetime(2025, 3, 16, 20, 31, tzinfo=UTC)
    state = await lifecycle.act(request_id, Action.ANSWER, actor=STAFF, now=late)
    assert state.answered_late is True


async def test_history_refuses_update_and_delete(db_pool: Pool, request_id: int) -> None:
    async with db_pool.acquire() as conn:
        for sql in (
            "UPDATE request_history SET note = 'x' WHERE request_id = $1",
            "DELETE FROM request_history WHERE request_id = $1",
            "DELETE FROM requests WHERE id = $1",
        ):
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                await conn.execute(sql, request_id)
        for table in ("request_history", "requests"):
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                await conn.execute(f"TRUNCATE {table} CASCADE")
        assert (
            await conn.fetchval(
                "SELECT count(*) FROM request_history WHERE request_id = $1", request_id
            )
            == 1
        )


async def test_an_assignment_during_a_holiday_change_waits_and_counts_the_new_holiday(
    db_pool: Pool, lifecycle: RequestLifecycle, request_id: int, agency_id: int, center_id: int
) -> None:
    # An admin's holiday change, still open: the closed day is written and the calendar
    # lock held (as samad_ivr.storage.deadlines does), not yet committed.
    admin = await db_pool.acquire()
    try:
        tx = admin.transaction()
        await tx.start()
        await admin.execute(
            "INSERT INTO closed_days (center_id, day, name) VALUES ($1, '2025-03-11', 'تعطیل')",
            center_id,
        )
        await admin.execute(
            "SELECT pg_advisory_xact_lock(hashtextextended('calendar:' || $1::int, 0))",
            center_id,
        )
        assigning = asyncio.create_task(
            lifecycle.assign(request_id, agency_id=agency_id, topic="other", actor=DESK, now=NOW)
        )
        await asyncio.sleep(0.3)
        assert not assigning.done()  # waits for the calendar change
        await tx.commit()
        state = await asyncio.wait_for(assigning, 10)
    finally:
        await db_pool.release(admin)
    assert state.due_on == date(2025, 3, 12)
