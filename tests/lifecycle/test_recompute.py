"""Recomputing waiting deadlines when a center's calendar changes, on a real PostgreSQL.

The set-based statement must agree with `compute_deadline` for every request, whatever
the calendar: each check below loads the center's calendar back and compares every row
with the Python function.
"""

from __future__ import annotations

import asyncio
import random
from datetime import UTC, date, datetime, timedelta

from lifecycle.bulk import Waiting, insert_waiting
from lifecycle.factories import make_agency, make_center, make_request
from samad_ivr.domain.deadlines import DeadlineMode, DeadlinePolicy, WorkCalendar, compute_deadline
from samad_ivr.domain.lifecycle import Action
from samad_ivr.jobs.holidays import seed_holidays
from samad_ivr.storage.audit import Actor as AuditActor
from samad_ivr.storage.db import Pool
from samad_ivr.storage.deadlines import CalendarChange, DeadlineRecomputer
from samad_ivr.storage.holidays import HolidayRepository
from samad_ivr.storage.lifecycle import Actor, RequestLifecycle
from samad_ivr.storage.roster_edit import RosterEditor

POLICY = DeadlinePolicy()
GAP = POLICY.days - POLICY.reminder_day
NOW = datetime(2025, 3, 1, 6, 30, tzinfo=UTC)
FIRST = date(2025, 2, 1)
ADMIN = Actor(user_id=None, job="admin_test")


async def stored(pool: Pool, center_id: int) -> dict[int, tuple[str, date, int, str, date, date]]:
    async with pool.acquire() as conn:
        rows = await conn.fetch(
            """SELECT id, status, deadline_start, deadline_days, deadline_mode, due_on, remind_on
               FROM requests WHERE center_id = $1 AND due_on IS NOT NULL""",
            center_id,
        )
    return {
        r["id"]: (
            r["status"], r["deadline_start"], r["deadline_days"], r["deadline_mode"],
            r["due_on"], r["remind_on"],
        )
        for r in rows
    }  # fmt: skip


async def calendar_of(pool: Pool, center_id: int) -> WorkCalendar:
    async with pool.acquire() as conn:
        weekend = await conn.fetchval("SELECT weekend_days FROM centers WHERE id = $1", center_id)
        days = await conn.fetch("SELECT day, name FROM closed_days WHERE center_id = $1", center_id)
    return WorkCalendar(frozenset(weekend), {r["day"]: r["name"] for r in days})


async def assert_agrees_with_the_domain(pool: Pool, center_id: int) -> int:
    """Every waiting request's stored deadline equals compute_deadline's; rows checked."""
    calendar = await calendar_of(pool, center_id)
    rows = await stored(pool, center_id)
    checked = 0
    for request_id, (status, start, days, mode, due_on, remind_on) in rows.items():
        if status not in ("assigned", "escalated"):
            continue
        m = DeadlineMode(mode)
        expected_due = compute_deadline(start, days, m, calendar).due_on
        expected_remind = compute_deadline(start, max(1, days - GAP), m, calendar).due_on
        assert (due_on, remind_on) == (expected_due, expected_remind), (request_id, start, days, m)
        checked += 1
    return checked


def random_rows(rng: random.Random, count: int) -> list[Waiting]:
    return [
        Waiting(
            start=FIRST + timedelta(days=rng.randrange(0, 60)),
            days=rng.randint(1, 25),
            mode=rng.choice(["calendar", "working"]),
            status=rng.choice(["assigned", "assigned", "escalated"]),
        )
        for _ in range(count)
    ]


async def random_center(pool: Pool, rng: random.Random, code: str) -> tuple[int, int]:
    weekends = [(4,), (3, 4), (), (5, 4), tuple(rng.sample(range(7), rng.randint(0, 3)))]
    center_id = await make_center(pool, code, rng.choice(weekends))
    agency_id = await make_agency(pool, center_id)
    repo = HolidayRepository(pool)  # no recomputation: the rows start stale on purpose
    for offset in rng.sample(range(0, 120), rng.randint(0, 25)):
        await repo.add(center_id, FIRST + timedelta(days=offset), f"تعطیل {offset}")
    return center_id, agency_id


async def test_recomputation_agrees_with_compute_deadline_on_random_calendars(
    db_pool: Pool,
) -> None:
    recomputer = DeadlineRecomputer(db_pool, POLICY)
    for seed in range(6):
        rng = random.Random(seed)
        center_id, agency_id = await random_center(db_pool, rng, f"random{seed}")
        await insert_waiting(db_pool, center_id, agency_id, random_rows(rng, 150))
        # Requests not waiting for their agency keep whatever they have.
        untouched = [Waiting(FIRST, 10, status="answered", due_on=FIRST + timedelta(days=3))]
        [answered] = await insert_waiting(db_pool, center_id, agency_id, untouched)
        result = await recomputer.recompute(center_id, CalendarChange.reconcile(), now=NOW)
        assert result.checked == 150
        assert await assert_agrees_with_the_domain(db_pool, center_id) == 150
        assert (await stored(db_pool, center_id))[answered][4] == FIRST + timedelta(days=3)
        # Nothing left to move: a second run changes nothing and writes no history.
        again = await recomputer.recompute(center_id, CalendarChange.reconcile(), now=NOW)
        assert (again.updated, again.due_moved) == (0, 0)


async def test_holidays_added_and_removed_keep_every_deadline_right(db_pool: Pool) -> None:
    rng = random.Random(42)
    center_id, agency_id = await random_center(db_pool, rng, "edits")
    recomputer = DeadlineRecomputer(db_pool, POLICY)
    await insert_waiting(db_pool, center_id, agency_id, random_rows(rng, 200))
    await recomputer.recompute(center_id, CalendarChange.reconcile(), now=NOW)
    repo = HolidayRepository(db_pool, recomputer)
    for step in range(12):
        day = FIRST + timedelta(days=rng.randrange(0, 100))
        closed = await calendar_of(db_pool, center_id)
        if day in closed.closed_days and step % 3:
            assert await repo.remove(center_id, day, ADMIN)
        else:
            await repo.add(center_id, day, f"تعطیلی {step}", ADMIN)
        # Only the requests whose count looked at `day` were recomputed; all are right.
        assert await assert_agrees_with_the_domain(db_pool, center_id) == 200


async def test_a_moved_deadline_is_recorded_with_old_and_new_day_and_why(
    db_pool: Pool, center_id: int, agency_id: int, request_id: int, lifecycle: RequestLifecycle
) -> None:
    state = await lifecycle.assign(
        request_id, agency_id=agency_id, topic="housing", actor=ADMIN, now=NOW
    )
    assert state.due_on == date(2025, 3, 11)
    holidays = HolidayRepository(db_pool, DeadlineRecomputer(db_pool, POLICY))
    await holidays.add(
        center_id,
        date(2025, 3, 11),
        "تعطیلی به دلیل آلودگی هوا",
        Actor(user_id=7, username="admin7"),
    )
    after = await lifecycle.get(request_id)
    assert after is not None
    assert (after.due_on, after.version) == (date(2025, 3, 12), state.version + 1)
    entry = (await lifecycle.history(request_id))[-1]
    assert (entry.event, entry.user_id, entry.username, entry.job) == (
        "deadline_changed", 7, "admin7", None,
    )  # fmt: skip
    assert entry.note == (
        "مهلت پاسخ از ۱۴۰۳/۱۲/۲۱ به ۱۴۰۳/۱۲/۲۲ تغییر کرد: روز ۱۴۰۳/۱۲/۲۱"
        " («تعطیلی به دلیل آلودگی هوا») تعطیل اعلام شد."
    )
    assert entry.details == {
        "reason": "holiday_added", "day": "2025-03-11", "name": "تعطیلی به دلیل آلودگی هوا",
        "old_due_on": "2025-03-11", "due_on": "2025-03-12",
        "old_remind_on": "2025-03-08", "remind_on": "2025-03-08",
    }  # fmt: skip
    assert await holidays.remove(center_id, date(2025, 3, 11))
    back = await lifecycle.get(request_id)
    assert back is not None
    assert back.due_on == date(2025, 3, 11)
    entry = (await lifecycle.history(request_id))[-1]
    assert (entry.job, entry.details["reason"]) == ("holiday_recompute", "holiday_removed")


async def test_a_holiday_outside_every_count_writes_no_history(
    db_pool: Pool, center_id: int, agency_id: int, request_id: int, lifecycle: RequestLifecycle
) -> None:
    await lifecycle.assign(request_id, agency_id=agency_id, topic="other", actor=ADMIN, now=NOW)
    holidays = HolidayRepository(db_pool, DeadlineRecomputer(db_pool, POLICY))
    await holidays.add(center_id, date(2025, 3, 12), "بعد از مهلت")
    await holidays.add(center_id, date(2025, 3, 1), "روز ارجاع")
    assert [h.event for h in await lifecycle.history(request_id)] == ["transition", "transition"]


async def test_answered_and_closed_requests_keep_their_deadline(
    db_pool: Pool, center_id: int, agency_id: int, request_id: int, lifecycle: RequestLifecycle
) -> None:
    await lifecycle.assign(request_id, agency_id=agency_id, topic="other", actor=ADMIN, now=NOW)
    await lifecycle.act(request_id, Action.ANSWER, actor=ADMIN, now=NOW + timedelta(days=2))
    holidays = HolidayRepository(db_pool, DeadlineRecomputer(db_pool, POLICY))
    await holidays.add(center_id, date(2025, 3, 11), "تعطیل")
    state = await lifecycle.get(request_id)
    assert state is not None
    assert state.due_on == date(2025, 3, 11)


async def test_a_new_weekend_recomputes_every_waiting_deadline_of_the_center_only(
    db_pool: Pool, center_id: int, agency_id: int
) -> None:
    rng = random.Random(7)
    await insert_waiting(db_pool, center_id, agency_id, random_rows(rng, 120))
    other_center = await make_center(db_pool, "kurdistan")
    other_agency = await make_agency(db_pool, other_center)
    [other] = await insert_waiting(db_pool, other_center, other_agency, [Waiting(FIRST, 10)])
    recomputer = DeadlineRecomputer(db_pool, POLICY)
    await recomputer.recompute(center_id, CalendarChange.reconcile(), now=NOW)
    editor = RosterEditor(db_pool, recomputer)
    await editor.set_weekend(center_id, frozenset({3, 4}), AuditActor(3, "admin3"))
    assert await assert_agrees_with_the_domain(db_pool, center_id) == 120
    # The other province's stale row was not part of it.
    assert (await stored(db_pool, other_center))[other][4] == FIRST + timedelta(days=10)


async def test_seeding_the_year_s_holidays_moves_the_deadlines_they_fall_in(
    db_pool: Pool, center_id: int, agency_id: int
) -> None:
    # Assigned 1403-12-25: ten calendar days end on 1404-01-05, after Nowruz 1-4.
    start = date(2025, 3, 15)
    rows = [Waiting(start, 9), Waiting(start, 10, mode="working")]
    ids = await insert_waiting(db_pool, center_id, agency_id, rows)
    now = datetime(2025, 3, 15, 8, 0, tzinfo=UTC)
    assert await seed_holidays(db_pool, now, POLICY) > 0
    assert await assert_agrees_with_the_domain(db_pool, center_id) == 2
    due = {i: row[4] for i, row in (await stored(db_pool, center_id)).items()}
    assert due[ids[0]] == date(2025, 3, 25)  # 1404-01-05: past the fourth of Nowruz
    history = await RequestLifecycle(db_pool, POLICY).history(ids[0])
    assert (history[-1].job, history[-1].details["reason"]) == (
        "holiday_recompute",
        "holidays_seeded",
    )


async def test_two_admins_closing_days_at_once_both_count(
    db_pool: Pool, center_id: int, agency_id: int
) -> None:
    rng = random.Random(3)
    await insert_waiting(db_pool, center_id, agency_id, random_rows(rng, 150))
    recomputer = DeadlineRecomputer(db_pool, POLICY)
    await recomputer.recompute(center_id, CalendarChange.reconcile(), now=NOW)
    first, second = HolidayRepository(db_pool, recomputer), HolidayRepository(db_pool, recomputer)
    for offset in range(5, 40, 7):
        day = FIRST + timedelta(days=offset)
        await asyncio.gather(
            first.add(center_id, day, "تعطیلی اول"),
            second.add(center_id, day + timedelta(days=1), "تعطیلی دوم"),
        )
    assert await assert_agrees_with_the_domain(db_pool, center_id) == 150


async def test_the_nightly_check_repairs_a_closed_day_written_behind_the_console_s_back(
    db_pool: Pool, center_id: int, agency_id: int
) -> None:
    [request] = await insert_waiting(db_pool, center_id, agency_id, [Waiting(date(2025, 3, 1), 10)])
    await make_request(db_pool, center_id)  # a registered request has no deadline to fix
    async with db_pool.acquire() as conn:
        await conn.execute(
            "INSERT INTO closed_days (center_id, day, name) VALUES ($1, '2025-03-11', 'دستی')",
            center_id,
        )
    moved = await DeadlineRecomputer(db_pool, POLICY).reconcile(NOW)
    assert moved == 1
    assert (await stored(db_pool, center_id))[request][4] == date(2025, 3, 12)
