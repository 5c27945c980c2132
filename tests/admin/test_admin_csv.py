"""Roster CSV parsing and repeat plans, without a database."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from samad_ivr.admin.csv_import import OfficialDirectory, parse_roster_csv
from samad_ivr.admin.jalali import InputError, JalaliMonth
from samad_ivr.admin.planning import internal_clashes, plan_weekly, plan_working_days

TZ = ZoneInfo("Asia/Tehran")
DIRECTORY = OfficialDirectory.build(
    [(1, "علی رضایی", "PJSIP/desk-1"), (2, "مریم احمدی", "PJSIP/desk-2"),
     (3, "مریم احمدی", "PJSIP/desk-3")]
)  # fmt: skip


def parse(text: str) -> tuple[list[tuple[datetime, int]], list[str]]:
    result = parse_roster_csv(text.encode(), DIRECTORY, TZ)
    return [(p.starts_at, p.official_id) for p in result.plan], [e.text for e in result.errors]


def test_good_file_by_id_desk_and_name() -> None:
    plan, errors = parse(
        "jalali_date,start,end,official_id,desk,name\n"
        "1403-12-30,09:00,11:00,1,,\n"
        "۱۴۰۴/۰۱/۰۱,۰۹:۰۰,۱۱:۰۰,,PJSIP/desk-2,\n"
        "\n"
        "1404-01-02,9,11,,,علي رضايي\n"
    )
    assert errors == []
    assert plan == [
        (datetime(2025, 3, 20, 9, tzinfo=TZ), 1),
        (datetime(2025, 3, 21, 9, tzinfo=TZ), 2),
        (datetime(2025, 3, 22, 9, tzinfo=TZ), 1),
    ]


def test_every_bad_row_is_reported_and_nothing_is_planned() -> None:
    plan, errors = parse(
        "jalali_date,start,end,official_id,name\n"
        "1403-12-30,09:00,11:00,1,\n"
        "1404-12-30,09:00,11:00,1,\n"
        "1404-01-05,11:00,09:00,1,\n"
        "1404-01-06,09:00,11:00,99,\n"
        "1404-01-07,09:00,11:00,,مریم احمدی\n"
        "1403-12-30,10:00,12:00,,علی رضایی\n"
        "1404-01-08,09:00\n"
    )
    assert plan == []
    assert errors[0].startswith("ردیف ۳: تاریخ «1404-12-30» وجود ندارد")
    assert errors[1].startswith("ردیف ۴: ساعت پایان")
    assert errors[2] == "ردیف ۵: مسئولی با شناسهٔ «99» در این مرکز نیست."
    assert errors[3].startswith("ردیف ۶: چند مسئول با نام «مریم احمدی»")
    assert errors[4] == "ردیف ۷: با ردیف ۲ هم‌پوشانی دارد."
    assert errors[5].startswith("ردیف ۸: ساعت پایان را وارد کنید")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"date,start\n", "سرستون"),
        (b"\xff\xfe\x00bad", "UTF-8"),
        (b"jalali_date,start,end,desk\n", "هیچ ردیفی"),
    ],
)  # fmt: skip
def test_unusable_files_are_refused_as_a_whole(data: bytes, message: str) -> None:
    result = parse_roster_csv(data, DIRECTORY, TZ)
    assert result.plan == []
    assert message in result.errors[0].text


def test_weekly_repeat_crosses_the_new_year_on_local_days() -> None:
    plan = plan_weekly(1, date(2025, 3, 13), 3, time(9), time(11), TZ)
    assert [p.when for p in plan] == ["۱۴۰۳/۱۲/۲۳ ۰۹:۰۰", "۱۴۰۳/۱۲/۳۰ ۰۹:۰۰", "۱۴۰۴/۰۱/۰۷ ۰۹:۰۰"]
    with pytest.raises(InputError, match="۵۲"):
        plan_weekly(1, date(2025, 3, 13), 53, time(9), time(11), TZ)


def test_working_days_skip_closed_days() -> None:
    closed = {date(2025, 3, 21), date(2025, 3, 22), date(2025, 3, 23), date(2025, 3, 24)}
    plan = plan_working_days(
        1, JalaliMonth(1404, 1), time(9), time(11), TZ,
        lambda d: d in closed or d.weekday() == 4,
    )  # fmt: skip
    days = [p.starts_at.date() for p in plan]
    assert date(2025, 3, 25) == days[0]
    assert len(days) == 31 - 4 - 4
    assert internal_clashes(plan) == []


def test_a_file_may_put_two_officials_on_duty_at_once_but_not_one_twice() -> None:
    plan, errors = parse(
        "jalali_date,start,end,official_id\n"
        "1404-01-02,09:00,11:00,1\n"
        "1404-01-02,09:30,11:30,2\n"
    )
    assert errors == []
    assert [official for _, official in plan] == [1, 2]
    plan, errors = parse(
        "jalali_date,start,end,official_id\n"
        "1404-01-02,09:00,11:00,1\n"
        "1404-01-02,09:30,11:30,2\n"
        "1404-01-02,10:00,12:00,1\n"
    )
    assert plan == []
    assert errors == ["ردیف ۴: با ردیف ۲ هم‌پوشانی دارد."]
