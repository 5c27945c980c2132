"""The calling window, the retries and the replies, with time passed in (no I/O)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from hypothesis import given
from hypothesis import strategies as st

from samad_ivr.domain.deadlines import WorkCalendar
from samad_ivr.domain.satisfaction import (
    Outcome,
    next_call_slot,
    next_retry_at,
    outcome_of_digit,
)

from .conftest import TEHRAN, policy, tehran

CALL = policy().call
# Friday off, and Saturday 7 March 2026 a holiday.
CALENDAR = WorkCalendar(weekend=frozenset({4}), closed_days={date(2026, 3, 7): "تعطیل رسمی"})


def retry(attempts: int, first: datetime, last: datetime) -> datetime | None:
    return next_retry_at(attempts=attempts, first_attempt_at=first, last_attempt_at=last,
                         tz=TEHRAN, calendar=CALENDAR, policy=CALL)  # fmt: skip


def test_before_the_window_opens_the_first_ring_waits_for_ten_oclock() -> None:
    assert next_call_slot(tehran(4, 8, 30), TEHRAN, CALENDAR, CALL) == tehran(4, 10)


def test_inside_the_window_the_call_rings_at_once() -> None:
    assert next_call_slot(tehran(4, 12, 5), TEHRAN, CALENDAR, CALL) == tehran(4, 12, 5)


def test_at_six_in_the_evening_the_call_waits_for_the_next_working_morning() -> None:
    # Wednesday 18:00 -> Thursday 10:00.
    assert next_call_slot(tehran(4, 18), TEHRAN, CALENDAR, CALL) == tehran(5, 10)


def test_weekend_and_holidays_are_never_called() -> None:
    # Thursday evening -> not Friday (weekend), not Saturday (holiday): Sunday 10:00.
    assert next_call_slot(tehran(5, 19), TEHRAN, CALENDAR, CALL) == tehran(8, 10)


def test_a_busy_citizen_is_called_again_four_hours_later() -> None:
    assert retry(1, tehran(4, 10), tehran(4, 10, 1)) == tehran(4, 14, 1)


def test_a_retry_that_would_fall_after_six_moves_to_the_next_morning() -> None:
    assert retry(1, tehran(4, 15), tehran(4, 15)) == tehran(5, 10)


def test_after_three_retries_nobody_is_called_again() -> None:
    assert retry(3, tehran(4, 10), tehran(5, 10)) == tehran(5, 14)
    assert retry(4, tehran(4, 10), tehran(5, 14)) is None


def test_no_retry_is_later_than_two_days_after_the_first_ring() -> None:
    # First ring Thursday 14:00; the next slot after the weekend and the holiday is
    # Sunday 10:00, past the two days.
    assert retry(1, tehran(5, 14), tehran(5, 14)) is None


def test_one_is_convinced_two_is_not_and_anything_else_is_no_answer() -> None:
    assert outcome_of_digit("1") is Outcome.CONVINCED
    assert outcome_of_digit("2") is Outcome.NOT_CONVINCED
    assert [outcome_of_digit(k) for k in ("", "3", "12", "*", "#")] == [None] * 5


@given(
    st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2027, 1, 1)),
    st.integers(min_value=6, max_value=20),
    st.integers(min_value=1, max_value=6),
)
def test_every_slot_is_inside_the_window_of_a_working_day_and_not_earlier(
    naive: datetime, opens: int, hours: int
) -> None:
    call = policy(window_start=time(opens), window_end=time(min(opens + hours, 23))).call
    earliest = naive.replace(tzinfo=TEHRAN)
    slot = next_call_slot(earliest, TEHRAN, CALENDAR, call)
    assert slot is not None
    local = slot.astimezone(TEHRAN)
    assert slot >= earliest
    assert CALENDAR.is_working(local.date())
    assert call.window_start <= local.time() < call.window_end
    # Nothing earlier would do: the slot is the window's opening or `earliest` itself.
    assert slot == earliest or local.time() == call.window_start
    assert slot - earliest < timedelta(days=10)
