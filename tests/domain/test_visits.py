from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from samad_ivr.domain.errors import NaiveInstant
from samad_ivr.domain.roster import CenterCalendar
from samad_ivr.domain.visits import (
    AnsweredCall,
    OfficialRef,
    OfficialVisits,
    Session,
    jalali_year_bounds,
    jalali_year_of,
    persian_week_start,
    visit_report,
)

TEHRAN = ZoneInfo("Asia/Tehran")
OPEN = CenterCalendar(tz=TEHRAN, closed_days=frozenset())
GOVERNOR = OfficialRef(id=1, name="علی رضایی", title="استاندار", agency="استانداری")
MAYOR = OfficialRef(id=2, name="مینا احمدی", title="شهردار", agency="شهرداری")
LEAP_DAY = date(2025, 3, 20)  # 1403-12-30
NOWRUZ = date(2025, 3, 21)  # 1404-01-01


def session(day: date, official: int = 1, slot_id: int = 0, start: int = 9) -> Session:
    starts = datetime.combine(day, time(start), tzinfo=TEHRAN)
    return Session(
        slot_id=slot_id or int(day.strftime("%Y%m%d")) * 10 + official,
        official_id=official,
        starts_at=starts,
        ends_at=starts + timedelta(hours=2),
    )


def call_in(s: Session, minutes: int = 10) -> AnsweredCall:
    return AnsweredCall(s.official_id, s.starts_at + timedelta(minutes=minutes))


def tehran(day: date, hour: int = 12) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=TEHRAN)


def report_for(
    sessions: list[Session],
    calls: list[AnsweredCall],
    now: datetime,
    year: int = 1404,
    calendar: CenterCalendar = OPEN,
    officials: tuple[OfficialRef, ...] = (GOVERNOR,),
) -> list[OfficialVisits]:
    return visit_report(officials, sessions, calls, year=year, now=now, calendar=calendar)


def test_the_leap_day_1403_12_30_is_the_last_day_of_1403() -> None:
    assert jalali_year_of(LEAP_DAY) == 1403
    assert jalali_year_of(NOWRUZ) == 1404


def test_jalali_year_1404_runs_from_nowruz_midnight_to_the_next_nowruz_in_tehran() -> None:
    start, end = jalali_year_bounds(1404, TEHRAN)
    assert start == datetime(2025, 3, 21, tzinfo=TEHRAN)
    assert start.astimezone(UTC) == datetime(2025, 3, 20, 20, 30, tzinfo=UTC)
    assert end == datetime(2026, 3, 21, tzinfo=TEHRAN)


def test_leap_year_1403_has_366_days() -> None:
    start, end = jalali_year_bounds(1403, TEHRAN)
    assert (end.date() - start.date()).days == 366
    assert end.date() == NOWRUZ


def test_a_session_on_the_leap_day_counts_for_1403_and_one_on_nowruz_for_1404() -> None:
    last, first = session(LEAP_DAY), session(NOWRUZ)
    calls = [call_in(last), call_in(first)]
    now = tehran(date(2025, 4, 1))
    (old,) = report_for([last, first], calls, now, year=1403)
    (new,) = report_for([last, first], calls, now, year=1404)
    assert (old.scheduled, old.attended) == (1, 1)
    assert (new.scheduled, new.attended) == (1, 1)
    assert old.attended_sessions == (last,)
    assert new.attended_sessions == (first,)


def test_a_late_evening_session_on_the_leap_day_still_counts_for_1403() -> None:
    late = session(LEAP_DAY, start=22)  # 22:00 Tehran = 18:30 UTC, still 1403-12-30
    (row,) = report_for([late], [call_in(late)], tehran(NOWRUZ), year=1403)
    assert row.attended == 1


def test_a_session_just_after_nowruz_midnight_is_1404_although_utc_is_still_march_20() -> None:
    early = Session(
        slot_id=7,
        official_id=1,
        starts_at=datetime(2025, 3, 21, 0, 15, tzinfo=TEHRAN),
        ends_at=datetime(2025, 3, 21, 1, 0, tzinfo=TEHRAN),
    )
    assert early.starts_at.astimezone(UTC).date() == date(2025, 3, 20)
    (in_1403,) = report_for([early], [], tehran(LEAP_DAY), year=1403)
    (in_1404,) = report_for([early], [], tehran(LEAP_DAY), year=1404)
    assert in_1403.scheduled == 0
    assert in_1404.scheduled == 1


def test_on_the_leap_day_an_official_with_three_visits_and_no_session_left_is_at_risk() -> None:
    sessions = [session(date(2024, m, 1)) for m in (4, 6, 9)] + [session(LEAP_DAY)]
    calls = [call_in(s) for s in sessions[:3]]
    after_last_session = tehran(LEAP_DAY, hour=11)
    (row,) = report_for(sessions, calls, after_last_session, year=1403)
    assert (row.scheduled, row.attended, row.remaining, row.upcoming) == (4, 3, 1, 0)
    assert row.at_risk


def test_on_the_leap_day_morning_the_last_session_of_1403_still_counts_as_a_chance() -> None:
    sessions = [session(date(2024, m, 1)) for m in (4, 6, 9)] + [session(LEAP_DAY)]
    calls = [call_in(s) for s in sessions[:3]]
    (row,) = report_for(sessions, calls, tehran(LEAP_DAY, hour=8), year=1403)
    assert (row.remaining, row.upcoming, row.at_risk) == (1, 1, False)
    assert row.next_session == sessions[3]


def test_sessions_of_next_year_do_not_rescue_an_official_in_this_year() -> None:
    sessions = [session(NOWRUZ + timedelta(days=d)) for d in range(1, 6)]
    (row,) = report_for(sessions, [], tehran(date(2025, 3, 1)), year=1403)
    assert (row.scheduled, row.upcoming, row.at_risk) == (0, 0, True)


def test_before_the_year_starts_every_session_is_still_a_chance() -> None:
    sessions = [session(date(2025, m, 5)) for m in (5, 7, 9, 11)]
    (row,) = report_for(sessions, [], tehran(LEAP_DAY))
    assert (row.scheduled, row.attended, row.upcoming, row.at_risk) == (4, 0, 4, False)


def test_a_session_without_an_answered_call_is_not_attended() -> None:
    past = session(date(2025, 5, 5))
    (row,) = report_for([past], [], tehran(date(2025, 6, 1)))
    assert (row.scheduled, row.attended, row.upcoming, row.remaining) == (1, 0, 0, 4)
    assert row.at_risk


def test_a_call_answered_outside_the_session_does_not_count() -> None:
    s = session(date(2025, 5, 5))
    before = AnsweredCall(1, s.starts_at - timedelta(seconds=1))
    at_end = AnsweredCall(1, s.ends_at)  # half-open: the end instant is outside
    (row,) = report_for([s], [before, at_end], tehran(date(2025, 6, 1)))
    assert row.attended == 0


def test_a_call_answered_at_the_first_instant_of_the_session_counts() -> None:
    s = session(date(2025, 5, 5))
    (row,) = report_for([s], [AnsweredCall(1, s.starts_at)], tehran(date(2025, 6, 1)))
    assert row.attended == 1


def test_another_officials_call_in_the_session_does_not_count() -> None:
    s = session(date(2025, 5, 5), official=1)
    (row, _mayor) = report_for(
        [s], [AnsweredCall(2, s.starts_at + timedelta(minutes=5))],
        tehran(date(2025, 6, 1)), officials=(GOVERNOR, MAYOR),
    )  # fmt: skip
    assert row.attended == 0


def test_many_calls_in_one_session_are_one_visit() -> None:
    s = session(date(2025, 5, 5))
    calls = [call_in(s, minutes=m) for m in (1, 20, 50, 100)]
    (row,) = report_for([s], calls, tehran(date(2025, 6, 1)))
    assert (row.attended, row.remaining) == (1, 3)


def test_four_attended_sessions_meet_the_rule_and_are_never_at_risk() -> None:
    sessions = [session(date(2025, m, 5)) for m in (4, 5, 6, 7)]
    (row,) = report_for(sessions, [call_in(s) for s in sessions], tehran(date(2026, 3, 20)))
    assert (row.attended, row.remaining, row.at_risk) == (4, 0, False)


def test_a_fifth_visit_leaves_remaining_at_zero() -> None:
    sessions = [session(date(2025, m, 5)) for m in (4, 5, 6, 7, 8)]
    (row,) = report_for(sessions, [call_in(s) for s in sessions], tehran(date(2025, 9, 1)))
    assert (row.attended, row.remaining) == (5, 0)


def test_a_session_in_progress_is_still_a_chance_until_it_ends() -> None:
    sessions = [session(date(2025, m, 5)) for m in (4, 5, 6, 7)]
    calls = [call_in(s) for s in sessions[:3]]
    (during,) = report_for(sessions, calls, sessions[3].starts_at + timedelta(minutes=30))
    (after,) = report_for(sessions, calls, sessions[3].ends_at)
    assert (during.upcoming, during.at_risk) == (1, False)
    assert (after.upcoming, after.at_risk) == (0, True)


def test_a_future_session_on_a_holiday_is_not_a_chance() -> None:
    sessions = [session(date(2025, m, 5)) for m in (5, 6, 7, 8)]
    holiday = CenterCalendar(tz=TEHRAN, closed_days=frozenset({date(2025, 8, 5)}))
    (row,) = report_for(sessions, [], tehran(date(2025, 4, 1)), calendar=holiday)
    assert (row.scheduled, row.upcoming, row.at_risk) == (4, 3, True)


def test_a_future_session_on_the_weekend_is_not_a_chance() -> None:
    friday = date(2025, 5, 2)
    assert friday.weekday() == 4
    sessions = [session(friday), *(session(date(2025, m, 5)) for m in (6, 7, 8))]
    weekend = CenterCalendar(tz=TEHRAN, closed_days=frozenset(), weekend=frozenset({4}))
    (row,) = report_for(sessions, [], tehran(date(2025, 4, 1)), calendar=weekend)
    assert (row.upcoming, row.at_risk) == (3, True)


def test_an_official_without_sessions_is_reported_and_at_risk() -> None:
    rows = report_for([], [], tehran(date(2025, 4, 1)), officials=(GOVERNOR, MAYOR))
    assert [(r.official, r.scheduled, r.at_risk) for r in rows] == [
        (GOVERNOR, 0, True),
        (MAYOR, 0, True),
    ]


def test_sessions_of_officials_outside_the_list_are_ignored() -> None:
    stranger = session(date(2025, 5, 5), official=99)
    (row,) = report_for([stranger], [call_in(stranger)], tehran(date(2025, 6, 1)))
    assert (row.scheduled, row.attended) == (0, 0)


def test_a_required_count_of_zero_is_never_at_risk() -> None:
    (row,) = visit_report(
        [GOVERNOR], [], [], year=1404, now=tehran(date(2025, 6, 1)), calendar=OPEN, required=0
    )
    assert (row.remaining, row.at_risk) == (0, False)


def test_a_naive_now_is_refused() -> None:
    with pytest.raises(NaiveInstant):
        report_for([], [], datetime(2025, 6, 1, 12))


def test_a_naive_call_time_is_refused() -> None:
    with pytest.raises(NaiveInstant):
        report_for([], [AnsweredCall(1, datetime(2025, 6, 1, 9, 30))], tehran(date(2025, 6, 2)))


def test_the_persian_week_starts_on_saturday() -> None:
    assert persian_week_start(date(2025, 3, 22)) == date(2025, 3, 22)  # a Saturday
    assert persian_week_start(date(2025, 3, 28)) == date(2025, 3, 22)  # the Friday after
    assert persian_week_start(date(2025, 3, 21)) == date(2025, 3, 15)  # Nowruz, a Friday


MONTHS = st.lists(st.integers(min_value=0, max_value=360), max_size=12, unique=True)


@given(days=MONTHS, attended_mask=st.lists(st.booleans(), min_size=12, max_size=12),
       now_offset=st.integers(min_value=-30, max_value=400))  # fmt: skip
def test_at_risk_means_the_sessions_left_cannot_close_the_gap(
    days: list[int], attended_mask: list[bool], now_offset: int
) -> None:
    year_start = NOWRUZ
    sessions = [session(year_start + timedelta(days=d)) for d in days]
    calls = [call_in(s) for s, hit in zip(sessions, attended_mask, strict=False) if hit]
    now = tehran(year_start + timedelta(days=now_offset))
    (row,) = report_for(sessions, calls, now)
    assert row.scheduled == len(sessions)
    assert row.attended + row.remaining >= 4
    assert row.remaining == max(0, 4 - row.attended)
    assert row.attended + row.upcoming <= row.scheduled
    assert row.at_risk == (row.attended + row.upcoming < 4)
