"""The agency's deadline arithmetic: Jalali month and year ends, Nowruz, weekends, holidays.

Dates are written in Jalali through persiantools (a test-only aid: the domain itself is
stdlib) so each example reads the way an admin in Hamedan would check it by hand.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from persiantools.jdatetime import JalaliDate

from samad_ivr.domain.deadlines import (
    DeadlineMode,
    DeadlinePolicy,
    WorkCalendar,
    compute_deadline,
    days_left,
    deadline_instant,
    is_overdue,
)
from samad_ivr.domain.errors import InvalidCalendar, NaiveInstant

TEHRAN = ZoneInfo("Asia/Tehran")
FRIDAY = frozenset({4})
THURSDAY_FRIDAY = frozenset({3, 4})
CAL, WORK = DeadlineMode.CALENDAR, DeadlineMode.WORKING


def j(year: int, month: int, day: int) -> date:
    """A Jalali date as the Gregorian `date` the domain works with."""
    gregorian: date = JalaliDate(year, month, day).to_gregorian()  # type: ignore[no-untyped-call]
    return gregorian


def nowruz(year: int) -> dict[date, str]:
    """The Nowruz closure of Jalali `year`: 1-4 Farvardin and 12-13 Farvardin."""
    names = {1: "نوروز", 2: "نوروز", 3: "نوروز", 4: "نوروز"}
    names |= {12: "روز جمهوری اسلامی", 13: "روز طبیعت"}
    return {j(year, 1, d): name for d, name in names.items()}


# -- examples an admin can check on a wall calendar ----------------------------------


def test_the_leap_day_of_1403_is_followed_by_nowruz_1404() -> None:
    assert j(1403, 12, 30) + timedelta(days=1) == j(1404, 1, 1)
    assert j(1404, 12, 29) + timedelta(days=1) == j(1405, 1, 1)  # 1404 is a common year


def test_a_calendar_deadline_crossing_the_year_end_skips_the_nowruz_closure() -> None:
    calendar = WorkCalendar(FRIDAY, nowruz(1404))
    # Assigned on Saturday 1403-12-25; ten days later is 1404-01-05, a Tuesday: open.
    deadline = compute_deadline(j(1403, 12, 25), 10, CAL, calendar)
    assert deadline.due_on == j(1404, 1, 5)
    assert deadline.skipped == ()
    # Assigned a day earlier the tenth day is 1404-01-04, still Nowruz: moved to the 5th.
    earlier = compute_deadline(j(1403, 12, 24), 10, CAL, calendar)
    assert earlier.due_on == j(1404, 1, 5)
    assert [(s.day, s.reason) for s in earlier.skipped] == [(j(1404, 1, 4), "نوروز")]


def test_a_working_day_deadline_does_not_count_nowruz_or_fridays() -> None:
    calendar = WorkCalendar(FRIDAY, nowruz(1404))
    deadline = compute_deadline(j(1403, 12, 20), 10, WORK, calendar)
    # Counted: 12/21, 22, 23, 25, 26, 27, 28, 29, 30 (12/24 is a Friday), then 1404/01/05.
    assert deadline.due_on == j(1404, 1, 5)
    skipped = [(s.day, s.reason) for s in deadline.skipped]
    assert skipped[0] == (j(1403, 12, 24), "weekend")
    assert [day for day, _ in skipped[1:]] == [j(1404, 1, d) for d in (1, 2, 3, 4)]


def test_the_farvardin_closure_before_a_thursday_friday_weekend_waits_for_saturday() -> None:
    calendar = WorkCalendar(THURSDAY_FRIDAY, nowruz(1404))
    # 1404-01-03 + 9 days is Tuesday the 12th; 12 and 13 are holidays, 14 and 15 weekend.
    deadline = compute_deadline(j(1404, 1, 3), 9, CAL, calendar)
    assert deadline.due_on == j(1404, 1, 16)
    assert [s.reason for s in deadline.skipped] == [
        "روز جمهوری اسلامی",
        "روز طبیعت",
        "weekend",
        "weekend",
    ]


def test_a_deadline_on_a_thursday_waits_for_saturday_when_thursday_and_friday_are_off() -> None:
    calendar = WorkCalendar(THURSDAY_FRIDAY)
    start = date(2025, 5, 5)  # a Monday; ten days on is Thursday 2025-05-15
    assert compute_deadline(start, 10, CAL, calendar).due_on == date(2025, 5, 17)
    assert compute_deadline(start, 10, CAL, WorkCalendar(FRIDAY)).due_on == date(2025, 5, 15)


def test_the_end_of_a_thirty_one_day_month_is_counted_like_any_other_day() -> None:
    start = j(1404, 6, 25)  # Shahrivar has 31 days
    assert compute_deadline(start, 10, CAL, WorkCalendar(frozenset())).due_on == j(1404, 7, 4)
    start = j(1404, 7, 25)  # Mehr has 30
    assert compute_deadline(start, 10, CAL, WorkCalendar(frozenset())).due_on == j(1404, 8, 5)


def test_a_holiday_added_then_removed_gives_the_deadline_back() -> None:
    start, closure = j(1404, 3, 1), j(1404, 3, 11)
    plain = WorkCalendar(FRIDAY)
    closed = WorkCalendar(FRIDAY, {closure: "تعطیلی به دلیل گرما"})
    before = compute_deadline(start, 10, CAL, plain).due_on
    during = compute_deadline(start, 10, CAL, closed).due_on
    assert before == closure
    assert during == closure + timedelta(days=1)
    assert compute_deadline(start, 10, CAL, plain).due_on == before


# -- overdue, days left, and what a policy or calendar may be ------------------------


def test_the_agency_may_answer_until_midnight_tehran_time_of_the_last_day() -> None:
    due = j(1403, 12, 30)
    end = deadline_instant(due, TEHRAN)
    assert end == datetime(2025, 3, 20, 20, 30, tzinfo=UTC)  # 1404-01-01 00:00 +03:30
    assert not is_overdue(due, end - timedelta(microseconds=1), TEHRAN)
    assert is_overdue(due, end, TEHRAN)


def test_overdue_needs_an_aware_instant() -> None:
    with pytest.raises(NaiveInstant):
        is_overdue(date(2025, 3, 20), datetime(2025, 3, 21), TEHRAN)


def test_days_left_is_zero_on_the_day_and_negative_after() -> None:
    due = j(1404, 1, 5)
    assert days_left(due, j(1403, 12, 30)) == 5
    assert days_left(due, due) == 0
    assert days_left(due, j(1404, 1, 7)) == -2


@pytest.mark.parametrize(
    ("days", "reminder", "long_stop"), [(0, 1, 20), (10, 10, 20), (10, 0, 20), (10, 7, 10)]
)
def test_a_policy_with_impossible_numbers_is_refused(
    days: int, reminder: int, long_stop: int
) -> None:
    with pytest.raises(ValueError, match=r"deadline days|reminder day|long stop"):
        DeadlinePolicy(days=days, reminder_day=reminder, long_stop_days=long_stop)


@pytest.mark.parametrize("weekend", [frozenset(range(7)), frozenset({7}), frozenset({-1})])
def test_a_calendar_with_no_working_day_or_an_unknown_weekday_is_refused(
    weekend: frozenset[int],
) -> None:
    with pytest.raises(InvalidCalendar):
        WorkCalendar(weekend)


def test_a_calendar_closed_for_years_is_reported_instead_of_looping() -> None:
    start = date(2025, 1, 1)
    closed = {start + timedelta(days=n): "بسته" for n in range(1, 366 * 4)}
    with pytest.raises(InvalidCalendar):
        compute_deadline(start, 10, CAL, WorkCalendar(FRIDAY, closed))


# -- properties over random calendars -------------------------------------------------

# Month and year ends of the Jalali calendar, Nowruz included, and ordinary days.
EDGES = [j(y, m, 1) - timedelta(days=d) for y in (1403, 1404, 1405) for m in (1, 7, 8, 12)
         for d in (0, 1, 3, 9)]  # fmt: skip
starts = st.one_of(st.sampled_from(EDGES), st.dates(date(2024, 1, 1), date(2027, 12, 31)))
weekends = st.one_of(
    st.sampled_from([FRIDAY, THURSDAY_FRIDAY, frozenset(), frozenset({5, 4})]),
    st.frozensets(st.integers(0, 6), max_size=4),
)
modes = st.sampled_from(list(DeadlineMode))
deadline_days = st.integers(1, 30)


@st.composite
def calendars(draw: st.DrawFn, start: date) -> WorkCalendar:
    offsets = draw(st.frozensets(st.integers(-3, 80), max_size=25))
    closed = {start + timedelta(days=n): f"تعطیل {n}" for n in offsets}
    if draw(st.booleans()):
        closed |= nowruz(JalaliDate(start).year + 1)  # type: ignore[no-untyped-call]
    return WorkCalendar(draw(weekends), closed)


@st.composite
def cases(draw: st.DrawFn) -> tuple[date, int, DeadlineMode, WorkCalendar]:
    start = draw(starts)
    return start, draw(deadline_days), draw(modes), draw(calendars(start))


def span(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


@given(cases())
def test_the_deadline_is_always_a_working_day_after_the_start(
    case: tuple[date, int, DeadlineMode, WorkCalendar],
) -> None:
    start, days, mode, calendar = case
    due = compute_deadline(start, days, mode, calendar).due_on
    assert calendar.is_working(due)
    assert due >= start + timedelta(days=days)


@given(cases())
def test_working_mode_counts_exactly_n_working_days(
    case: tuple[date, int, DeadlineMode, WorkCalendar],
) -> None:
    start, days, _, calendar = case
    deadline = compute_deadline(start, days, WORK, calendar)
    counted = span(start + timedelta(days=1), deadline.due_on)
    assert sum(calendar.is_working(d) for d in counted) == days
    assert [s.day for s in deadline.skipped] == [d for d in counted if not calendar.is_working(d)]


@given(cases())
def test_calendar_mode_moves_only_over_closed_days(
    case: tuple[date, int, DeadlineMode, WorkCalendar],
) -> None:
    start, days, _, calendar = case
    deadline = compute_deadline(start, days, CAL, calendar)
    moved_over = span(start + timedelta(days=days), deadline.due_on)[:-1]
    assert not any(calendar.is_working(d) for d in moved_over)
    assert [(s.day, s.reason) for s in deadline.skipped] == [
        (d, calendar.closed_reason(d)) for d in moved_over
    ]


@given(cases())
def test_counting_working_days_never_ends_before_counting_calendar_days(
    case: tuple[date, int, DeadlineMode, WorkCalendar],
) -> None:
    start, days, _, calendar = case
    working = compute_deadline(start, days, WORK, calendar).due_on
    assert working >= compute_deadline(start, days, CAL, calendar).due_on


@given(cases(), st.integers(-3, 90))
def test_adding_a_holiday_never_brings_a_deadline_earlier(
    case: tuple[date, int, DeadlineMode, WorkCalendar], offset: int
) -> None:
    start, days, mode, calendar = case
    day = start + timedelta(days=offset)
    assume(day not in calendar.closed_days)
    more = WorkCalendar(calendar.weekend, {**calendar.closed_days, day: "تعطیلی تازه"})
    before = compute_deadline(start, days, mode, calendar).due_on
    after = compute_deadline(start, days, mode, more).due_on
    assert after >= before
    # Only a day the old count looked at can move it (recomputation relies on this).
    if not start < day <= before:
        assert after == before


@given(cases(), st.data())
def test_removing_a_holiday_never_pushes_a_deadline_later(
    case: tuple[date, int, DeadlineMode, WorkCalendar], data: st.DataObject
) -> None:
    start, days, mode, calendar = case
    assume(calendar.closed_days)
    day = data.draw(st.sampled_from(sorted(calendar.closed_days)))
    fewer = WorkCalendar(
        calendar.weekend, {d: n for d, n in calendar.closed_days.items() if d != day}
    )
    before = compute_deadline(start, days, mode, calendar).due_on
    after = compute_deadline(start, days, mode, fewer).due_on
    assert after <= before
    if not start < day <= before:
        assert after == before


@given(cases(), st.integers(1, 30))
def test_a_longer_deadline_never_ends_sooner(
    case: tuple[date, int, DeadlineMode, WorkCalendar], extra: int
) -> None:
    start, days, mode, calendar = case
    shorter = compute_deadline(start, days, mode, calendar).due_on
    assert compute_deadline(start, days + extra, mode, calendar).due_on >= shorter


@given(starts, deadline_days, modes)
def test_with_no_closed_day_both_modes_are_n_days_later(
    start: date, days: int, mode: DeadlineMode
) -> None:
    deadline = compute_deadline(start, days, mode, WorkCalendar(frozenset()))
    assert deadline.due_on == start + timedelta(days=days)
    assert deadline.skipped == ()


@given(st.dates(date(2024, 1, 1), date(2027, 12, 31)), st.times())
def test_overdue_is_exactly_after_the_local_end_of_the_day(day: date, at: time) -> None:
    now = datetime.combine(day, at, tzinfo=TEHRAN)
    assert not is_overdue(day, now, TEHRAN)
    assert is_overdue(day - timedelta(days=1), now, TEHRAN)
    assert is_overdue(day, now.astimezone(UTC), TEHRAN) == (now.date() > day)
