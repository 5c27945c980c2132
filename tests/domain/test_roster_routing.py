from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from samad_ivr.domain.errors import DomainError
from samad_ivr.domain.roster import (
    CenterCalendar,
    Closed,
    DutySlot,
    InvalidCalendar,
    InvalidSlot,
    NaiveInstant,
    Official,
    OnDuty,
    decide,
    default_window_slot,
)

TEHRAN = ZoneInfo("Asia/Tehran")
# Saturday-Wednesday government week: Thursday and Friday off.
THU_FRI = frozenset({3, 4})
OPEN = CenterCalendar(tz=TEHRAN, closed_days=frozenset())

DEPUTY = Official(
    id=2, name="مریم احمدی", title="معاون", agency="استانداری همدان", desk_endpoint="PJSIP/102"
)
GOVERNOR = Official(
    id=1,
    name="علی رضایی",
    title="استاندار",
    agency="استانداری همدان",
    desk_endpoint="PJSIP/101",
    deputy=DEPUTY,
)

SUNDAY = date(2025, 11, 30)  # an ordinary working Sunday, 1404-09-09


def tehran(day: date, hour: int, minute: int = 0, second: int = 0, micro: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, second, micro, tzinfo=TEHRAN)


def window(day: date, slot_id: int = 0) -> DutySlot:
    return default_window_slot(day, GOVERNOR, TEHRAN, slot_id=slot_id)


def test_default_window_is_nine_to_eleven_tehran_time() -> None:
    slot = window(SUNDAY)
    assert slot.starts_at == tehran(SUNDAY, 9)
    assert slot.ends_at == tehran(SUNDAY, 11)
    assert slot.official.deputy == DEPUTY


def test_caller_at_exactly_nine_is_on_duty() -> None:
    slot = window(SUNDAY)
    assert decide(tehran(SUNDAY, 9), [slot], OPEN) == OnDuty(slot)


def test_caller_at_the_last_millisecond_before_eleven_is_on_duty() -> None:
    slot = window(SUNDAY)
    assert decide(tehran(SUNDAY, 10, 59, 59, 999_000), [slot], OPEN) == OnDuty(slot)


def test_caller_at_eleven_is_closed_with_no_later_session() -> None:
    assert decide(tehran(SUNDAY, 11), [window(SUNDAY)], OPEN) == Closed(None)


def test_caller_one_second_before_nine_is_told_the_same_mornings_session() -> None:
    slot = window(SUNDAY)
    assert decide(tehran(SUNDAY, 8, 59, 59), [slot], OPEN) == Closed(slot)


def test_instant_given_in_utc_is_compared_as_tehran_time() -> None:
    slot = window(SUNDAY)
    # 09:00 Tehran is 05:30 UTC all year round.
    assert decide(datetime(2025, 11, 30, 5, 30, tzinfo=UTC), [slot], OPEN) == OnDuty(slot)
    before = datetime(2025, 11, 30, 5, 29, 59, tzinfo=UTC)
    assert decide(before, [slot], OPEN) == Closed(slot)
    at_end = datetime(2025, 11, 30, 7, 30, tzinfo=UTC)
    assert decide(at_end, [slot], OPEN) == Closed(None)


def test_instant_given_in_another_zone_is_compared_as_the_same_moment() -> None:
    slot = window(SUNDAY)
    dubai = datetime(2025, 11, 30, 10, 29, tzinfo=ZoneInfo("Asia/Dubai"))  # 10:59 Tehran
    assert decide(dubai, [slot], OPEN) == OnDuty(slot)
    new_york = datetime(2025, 11, 30, 0, 30, tzinfo=ZoneInfo("America/New_York"))  # 09:00
    assert decide(new_york, [slot], OPEN) == OnDuty(slot)


def test_tehran_has_no_daylight_saving_in_summer() -> None:
    summer = date(2025, 7, 13)
    slot = window(summer)
    assert slot.starts_at.utcoffset() == timedelta(hours=3, minutes=30)
    assert decide(datetime(2025, 7, 13, 5, 30, tzinfo=UTC), [slot], OPEN) == OnDuty(slot)
    assert decide(datetime(2025, 7, 13, 4, 30, tzinfo=UTC), [slot], OPEN) == Closed(slot)


def test_slot_on_a_holiday_is_closed_even_inside_its_hours() -> None:
    calendar = CenterCalendar(tz=TEHRAN, closed_days=frozenset({SUNDAY}))
    assert decide(tehran(SUNDAY, 10), [window(SUNDAY)], calendar) == Closed(None)


def test_next_session_skips_holidays_and_weekend_days() -> None:
    tuesday = date(2025, 12, 2)
    wednesday, thursday, friday = (tuesday + timedelta(days=n) for n in (1, 2, 3))
    saturday = tuesday + timedelta(days=4)
    calendar = CenterCalendar(tz=TEHRAN, closed_days=frozenset({wednesday}), weekend=THU_FRI)
    slots = [
        window(day, slot_id=i) for i, day in enumerate([saturday, friday, thursday, wednesday])
    ]
    assert decide(tehran(tuesday, 12), slots, calendar) == Closed(slots[0])


def test_calendar_closes_weekend_weekdays_and_listed_days() -> None:
    calendar = CenterCalendar(tz=TEHRAN, closed_days=frozenset({SUNDAY}), weekend=THU_FRI)
    assert calendar.is_closed(SUNDAY)
    assert calendar.is_closed(date(2025, 12, 4))  # Thursday
    assert calendar.is_closed(date(2025, 12, 5))  # Friday
    assert not calendar.is_closed(date(2025, 12, 6))  # Saturday


def test_closed_day_is_the_local_tehran_date_not_the_utc_date() -> None:
    # 01:00 Tehran on Sunday is still Saturday in UTC; the Sunday closure must apply.
    slot = DutySlot(3, GOVERNOR, tehran(SUNDAY, 1), tehran(SUNDAY, 2))
    calendar = CenterCalendar(tz=TEHRAN, closed_days=frozenset({SUNDAY}))
    assert slot.starts_at.astimezone(UTC).date() == SUNDAY - timedelta(days=1)
    assert decide(tehran(SUNDAY, 1, 30), [slot], calendar) == Closed(None)


def test_no_slots_at_all_is_closed_with_no_next_session() -> None:
    assert decide(tehran(SUNDAY, 10), [], OPEN) == Closed(None)


def test_overlapping_slots_of_two_officials_put_both_on_duty_first_started_first() -> None:
    early = DutySlot(9, DEPUTY, tehran(SUNDAY, 8), tehran(SUNDAY, 10))
    late = DutySlot(1, GOVERNOR, tehran(SUNDAY, 9), tehran(SUNDAY, 11))
    for order in ([early, late], [late, early]):
        decision = decide(tehran(SUNDAY, 9, 30), order, OPEN)
        assert decision == OnDuty(early, (late,))
        assert isinstance(decision, OnDuty)
        assert decision.officials == (DEPUTY, GOVERNOR)
    assert decide(tehran(SUNDAY, 10), [early, late], OPEN) == OnDuty(late)


def test_next_session_is_the_earliest_regardless_of_input_order() -> None:
    monday = SUNDAY + timedelta(days=1)
    slots = [window(monday, 2), window(SUNDAY, 1)]
    assert decide(tehran(SUNDAY, 7), slots, OPEN) == Closed(slots[1])


def test_naive_instant_is_refused() -> None:
    with pytest.raises(NaiveInstant):
        decide(datetime(2025, 11, 30, 9), [window(SUNDAY)], OPEN)


def test_naive_instant_error_is_a_domain_value_error() -> None:
    assert issubclass(NaiveInstant, DomainError)
    assert issubclass(NaiveInstant, ValueError)


def test_slot_with_naive_datetimes_is_invalid() -> None:
    with pytest.raises(InvalidSlot):
        DutySlot(1, GOVERNOR, datetime(2025, 11, 30, 9), datetime(2025, 11, 30, 11))


@pytest.mark.parametrize("end_hour", [9, 8])
def test_slot_ending_at_or_before_its_start_is_invalid(end_hour: int) -> None:
    with pytest.raises(InvalidSlot):
        DutySlot(1, GOVERNOR, tehran(SUNDAY, 9), tehran(SUNDAY, end_hour))


def test_default_window_with_end_before_start_is_invalid() -> None:
    with pytest.raises(InvalidSlot):
        default_window_slot(SUNDAY, GOVERNOR, TEHRAN, start=time(11), end=time(9))


def test_weekend_day_numbers_outside_the_week_are_refused() -> None:
    with pytest.raises(InvalidCalendar):
        CenterCalendar(tz=TEHRAN, closed_days=frozenset(), weekend=frozenset({7}))
