"""The Jalali calendar grid, without a database."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from samad_ivr.admin.calendar import CalendarSlot, build_month, build_week, week_start
from samad_ivr.admin.jalali import (
    InputError,
    JalaliMonth,
    parse_jalali_date,
    parse_month,
    parse_time,
)

TZ = ZoneInfo("Asia/Tehran")
FRIDAY = frozenset({4})


def test_leap_esfand_1403_has_thirty_days_ending_on_nowruz_eve() -> None:
    month = parse_month("۱۴۰۳/۱۲")
    assert (month.first, month.last, month.days) == (date(2025, 2, 19), date(2025, 3, 20), 30)
    grid = build_month(month, [], {}, FRIDAY, date(2025, 3, 1))
    inside = [c for week in grid.weeks for c in week if c.in_month]
    assert [c.value for c in inside][-1] == "1403-12-30"
    assert inside[-1].title == "۱۴۰۳/۱۲/۳۰"
    assert all(len(week) == 7 and week[0].day.weekday() == 5 for week in grid.weeks)  # Saturday
    assert grid.weeks[-1][-1].value == "1404-01-01"  # the trailing Friday is Nowruz
    assert grid.title == "اسفند ۱۴۰۳"


def test_farvardin_1404_starts_on_friday_and_navigation_crosses_the_year() -> None:
    month = JalaliMonth(1404, 1)
    grid = build_month(month, [], {}, FRIDAY, date(2025, 3, 21))
    first_row = grid.weeks[0]
    assert [c.in_month for c in first_row] == [False] * 6 + [True]
    assert first_row[-1].is_today
    assert first_row[-1].weekend
    assert first_row[-1].closed
    assert month.shifted(-1) == JalaliMonth(1403, 12)
    assert JalaliMonth(1403, 12).shifted(1) == month


def test_slots_and_holidays_land_in_their_local_day() -> None:
    # 23:30 Tehran on 1403-12-30 is 20:00 UTC: the cell is by local date, not UTC.
    start = datetime(2025, 3, 20, 23, 0, tzinfo=TZ)
    slot = CalendarSlot(1, 7, "علی", start, datetime(2025, 3, 21, 1, tzinfo=TZ), TZ)
    grid = build_month(JalaliMonth(1403, 12), [slot], {date(2025, 3, 20): "عید"}, FRIDAY,
                       date(2025, 1, 1))  # fmt: skip
    cell = next(c for w in grid.weeks for c in w if c.value == "1403-12-30")
    assert cell.slots == (slot,)
    assert cell.holiday == "عید"
    assert slot.label == "۲۳:۰۰–۱۴۰۴/۰۱/۰۱ ۰۱:۰۰"


def test_week_view_over_the_new_year() -> None:
    grid = build_week(date(2025, 3, 20), [], {}, FRIDAY, date(2025, 3, 20))
    assert next(c.value for c in grid.weeks[0]) == "1403-12-25"
    assert [c.value for c in grid.weeks[0]][-1] == "1404-01-01"
    assert week_start(date(2025, 3, 22)) == date(2025, 3, 22)


@pytest.mark.parametrize(
    ("text", "message"),
    [("1404-12-30", "۲۹ روز دارد"), ("1403-00-01", "بین ۱ و ۱۲"), ("14031230", "نامعتبر"),
     ("", "وارد کنید"), ("1200-01-01", "۱۳۵۰ تا ۱۵۰۰")],
)  # fmt: skip
def test_bad_jalali_dates_have_persian_messages(text: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        parse_jalali_date(text)


def test_persian_and_arabic_digits_are_accepted() -> None:
    assert parse_jalali_date("١٤٠٣/١٢/٣٠") == date(2025, 3, 20)
    assert parse_time("۹:۳۰") == time(9, 30)
    assert parse_time("9") == time(9)
    with pytest.raises(InputError, match="وجود ندارد"):
        parse_time("24:00")
