from __future__ import annotations

from datetime import date, timedelta

from samad_ivr.jobs.announcements import queue_session_announcements
from samad_ivr.jobs.visit_warnings import warn_officials_at_risk
from samad_ivr.storage.db import Pool
from samad_ivr.storage.holidays import HolidayRepository
from samad_ivr.storage.notices import NoticeRepository
from samad_ivr.storage.visits import VisitRepository

from .conftest import MakeAnswered, MakeSlot, World, tehran

MONDAY = date(2025, 5, 5)  # 1404-02-15
NOW = tehran(date(2025, 5, 3), 10)  # Saturday 1404-02-13, two days before
ALI, SARA, REZA = "+989121234567", "+989351112233", "+989901234567"


async def subscribe(pool: Pool, *numbers: str) -> None:
    repo = NoticeRepository(pool)
    for number in numbers:
        assert await repo.subscribe_confirmed("hamedan", number, NOW - timedelta(days=30))


async def outbox(pool: Pool) -> list[tuple[str, str, str]]:
    rows = await pool.fetch("SELECT destination, body, category FROM sms_outbox ORDER BY id")
    return [(r["destination"], r["body"], r["category"]) for r in rows]


async def test_each_subscriber_gets_one_announcement_in_persian_with_the_jalali_date(
    db_pool: Pool, world: World, make_slot: MakeSlot
) -> None:
    await make_slot(MONDAY)
    await subscribe(db_pool, ALI, SARA)
    assert await queue_session_announcements(db_pool, NOW, days_before=3) == 2
    sent = await outbox(db_pool)
    assert [dest for dest, _, _ in sent] == [ALI, SARA]
    body = sent[0][1]
    assert "دوشنبه ۱۵ اردیبهشت ۱۴۰۴" in body
    assert "ساعت ۰۹:۰۰ تا ۱۱:۰۰" in body
    assert "استاندار استانداری همدان" in body
    assert "«لغو»" in body
    assert sent[0][2] == "notice"


async def test_several_desks_of_one_session_are_announced_together_in_one_sms(
    db_pool: Pool, world: World, make_slot: MakeSlot
) -> None:
    await make_slot(MONDAY)
    await make_slot(MONDAY, world.mayor_id, hour=10)  # 10:00-12:00, beside the governor
    await subscribe(db_pool, ALI)
    assert await queue_session_announcements(db_pool, NOW, days_before=3) == 1
    [(_, body, _)] = await outbox(db_pool)
    assert "استاندار استانداری همدان و مدیرعامل شرکت آب و فاضلاب" in body
    assert "ساعت ۰۹:۰۰ تا ۱۲:۰۰" in body
    assert "با هم پاسخگوی تماس‌های شما با شماره ۱۱۱ هستند" in body
    assert await queue_session_announcements(db_pool, NOW + timedelta(hours=1), 3) == 0


async def test_a_second_run_never_announces_the_same_session_to_the_same_number_twice(
    db_pool: Pool, world: World, make_slot: MakeSlot
) -> None:
    await make_slot(MONDAY)
    await subscribe(db_pool, ALI)
    await queue_session_announcements(db_pool, NOW, days_before=3)
    assert await queue_session_announcements(db_pool, NOW + timedelta(hours=1), 3) == 0
    await subscribe(db_pool, SARA)  # a late subscriber still hears about it
    assert await queue_session_announcements(db_pool, NOW + timedelta(hours=2), 3) == 1
    assert [dest for dest, _, _ in await outbox(db_pool)] == [ALI, SARA]
    links = await db_pool.fetchval(
        "SELECT count(*) FROM notice_deliveries WHERE outbox_id IS NOT NULL"
    )
    assert links == 2


async def test_sessions_further_away_than_the_notice_period_wait(
    db_pool: Pool, world: World, make_slot: MakeSlot
) -> None:
    await make_slot(MONDAY + timedelta(days=7))
    await subscribe(db_pool, ALI)
    assert await queue_session_announcements(db_pool, NOW, days_before=3) == 0


async def test_opted_out_and_unconfirmed_numbers_get_no_announcement(
    db_pool: Pool, world: World, make_slot: MakeSlot
) -> None:
    await make_slot(MONDAY)
    await subscribe(db_pool, ALI, SARA)
    await db_pool.execute("INSERT INTO sms_optouts (destination, source) VALUES ($1, 'sms')", SARA)
    await NoticeRepository(db_pool).subscribe_web(
        world.center_id, REZA, "0" * 64, "code", NOW, timedelta(minutes=2), address="192.0.2.1"
    )
    await db_pool.execute("DELETE FROM sms_outbox")  # the confirmation code SMS
    assert await queue_session_announcements(db_pool, NOW, days_before=3) == 1
    assert [dest for dest, _, _ in await outbox(db_pool)] == [ALI]


async def test_a_session_on_a_holiday_is_not_announced(
    db_pool: Pool, world: World, make_slot: MakeSlot
) -> None:
    await make_slot(MONDAY)
    await HolidayRepository(db_pool).add(world.center_id, MONDAY, "تعطیلی اضطراری")
    await subscribe(db_pool, ALI)
    assert await queue_session_announcements(db_pool, NOW, days_before=3) == 0


async def test_a_session_already_running_is_not_announced(
    db_pool: Pool, world: World, make_slot: MakeSlot
) -> None:
    await make_slot(MONDAY)
    await subscribe(db_pool, ALI)
    during = tehran(MONDAY, 10)
    assert await queue_session_announcements(db_pool, during, days_before=3) == 0


async def test_the_visit_inputs_count_only_answered_calls_inside_the_session(
    db_pool: Pool, world: World, make_slot: MakeSlot, make_answered: MakeAnswered
) -> None:
    await make_slot(date(2025, 3, 20))  # 1403-12-30: not in 1404
    await make_slot(date(2025, 4, 5))
    await make_slot(date(2025, 4, 6))
    await make_slot(date(2025, 4, 7))
    await make_answered(tehran(date(2025, 4, 5), 9, 30), world.governor_id)
    await make_answered(tehran(date(2025, 4, 5), 10, 0), world.governor_id)
    await make_answered(tehran(date(2025, 4, 6), 9, 30), world.governor_id, "message")
    await make_answered(tehran(date(2025, 4, 7), 11, 0), world.governor_id)  # after the end
    await make_answered(tehran(date(2025, 4, 7), 9, 5), world.mayor_id)  # someone else
    repo = VisitRepository(db_pool)
    center = await repo.find_center("hamedan")
    assert center is not None
    inputs = await repo.load(center, 1404)
    assert len(inputs.sessions) == 3
    assert [c.answered_at for c in inputs.calls] == [tehran(date(2025, 4, 5), 9, 30)]
    assert {o.title for o in inputs.officials} == {"استاندار", "مدیرعامل"}


async def test_admins_are_warned_about_an_official_at_risk_once_a_week(
    db_pool: Pool, world: World, make_slot: MakeSlot
) -> None:
    for month in (6, 7, 8, 10):
        await make_slot(date(2025, month, 7), world.mayor_id)  # the mayor can still make it
    await make_slot(date(2025, 4, 8))  # the governor: one session in the whole year
    assert await warn_officials_at_risk(db_pool, NOW) == 1
    assert await warn_officials_at_risk(db_pool, NOW + timedelta(days=3)) == 0
    assert await warn_officials_at_risk(db_pool, NOW + timedelta(days=7)) == 1
    rows = await db_pool.fetch("SELECT kind, subject, body, dedup_key FROM admin_notifications")
    assert len(rows) == 2
    assert all(r["kind"] == "four_visits_at_risk" for r in rows)
    assert "علی رضایی" in rows[0]["subject"]
    assert "۱۴۰۴" in rows[0]["body"]
