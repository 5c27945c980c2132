"""The deadline jobs with an injected clock on a real PostgreSQL: each happens once.

A request assigned on Saturday 1403-12-11 (2025-03-01) 10:00 Tehran: reminder on
2025-03-08, deadline to the end of 2025-03-11, long stop after 2025-03-21.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from lifecycle.bulk import Waiting, insert_waiting
from lifecycle.factories import make_agency
from samad_ivr.domain.deadlines import is_overdue
from samad_ivr.domain.lifecycle import Action, Status
from samad_ivr.jobs.deadline_reminders import remind_agencies
from samad_ivr.jobs.deadlines import DeadlineRound, run_deadline_jobs
from samad_ivr.jobs.escalation import escalate_overdue_requests
from samad_ivr.jobs.long_stop import mark_long_stops
from samad_ivr.notices.text import fa_digits
from samad_ivr.storage.db import Pool
from samad_ivr.storage.lifecycle import Actor, RequestLifecycle
from samad_ivr.storage.notification_feed import NotificationFeed, Scope

TEHRAN = ZoneInfo("Asia/Tehran")
ASSIGNED = datetime(2025, 3, 1, 10, 0, tzinfo=TEHRAN)
DESK = Actor(job="desk_test")


def tehran(day: date, hour: int = 10, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=TEHRAN).astimezone(UTC)


async def assigned(lifecycle: RequestLifecycle, request_id: int, agency_id: int) -> None:
    state = await lifecycle.assign(
        request_id, agency_id=agency_id, topic="housing", actor=DESK, now=ASSIGNED
    )
    assert (state.remind_on, state.due_on, state.long_stop_on) == (
        date(2025, 3, 8), date(2025, 3, 11), date(2025, 3, 21),
    )  # fmt: skip


async def counts(pool: Pool, request_id: int) -> dict[str, int]:
    async with pool.acquire() as conn:
        row = await conn.fetchrow(
            """SELECT
                 (SELECT count(*) FROM agency_notifications WHERE request_id = $1) AS notices,
                 (SELECT count(*) FROM sms_outbox WHERE request_id = $1) AS sms,
                 (SELECT count(*) FROM admin_notifications
                   WHERE dedup_key LIKE 'long_stop:%:' || $1 || ':%') AS admin,
                 (SELECT count(*) FROM request_history WHERE request_id = $1) AS history""",
            request_id,
        )
    assert row is not None
    return dict(row)


async def test_the_reminder_goes_out_once_on_its_day_in_daytime(
    db_pool: Pool, lifecycle: RequestLifecycle, request_id: int, agency_id: int
) -> None:
    await assigned(lifecycle, request_id, agency_id)
    assert await remind_agencies(db_pool, tehran(date(2025, 3, 7), 19)) == 0  # a day early
    assert await remind_agencies(db_pool, tehran(date(2025, 3, 8), 7, 59)) == 0  # too early
    assert await remind_agencies(db_pool, tehran(date(2025, 3, 8), 20, 0)) == 0  # too late
    assert await remind_agencies(db_pool, tehran(date(2025, 3, 8), 9)) == 1
    assert await remind_agencies(db_pool, tehran(date(2025, 3, 8), 9, 5)) == 0
    assert await remind_agencies(db_pool, tehran(date(2025, 3, 9), 9)) == 0
    assert (await counts(db_pool, request_id))["notices"] == 1
    state = await lifecycle.get(request_id)
    assert state is not None
    assert state.reminded_at == tehran(date(2025, 3, 8), 9)
    assert state.status is Status.ASSIGNED
    async with db_pool.acquire() as conn:
        sms = await conn.fetchrow(
            "SELECT destination, body FROM sms_outbox WHERE request_id = $1", request_id
        )
        notice = await conn.fetchrow(
            "SELECT agency_id, kind, subject FROM agency_notifications WHERE request_id = $1",
            request_id,
        )
    assert sms is not None
    assert notice is not None
    assert sms["destination"] == "+989181110000"
    assert f"\n{state.tracking_code}\n" in sms["body"]
    assert "۱۴۰۳/۱۲/۲۱" in sms["body"]  # 2025-03-11, in Jalali
    assert (notice["agency_id"], notice["kind"]) == (agency_id, "deadline_reminder")
    assert (
        notice["subject"]
        == f"یادآوری: مهلت پاسخ درخواست {fa_digits(state.tracking_code)} تا پایان ۱۴۰۳/۱۲/۲۱"
    )
    entry = (await lifecycle.history(request_id))[-1]
    assert (entry.event, entry.job, entry.to_status) == ("reminder_sent", "deadline_job", None)
    assert entry.details["due_on"] == "2025-03-11"
    assert entry.details["sms_outbox_id"] is not None


async def test_the_admin_s_reminder_text_is_the_one_sent(
    db_pool: Pool, lifecycle: RequestLifecycle, request_id: int, agency_id: int
) -> None:
    await assigned(lifecycle, request_id, agency_id)
    async with db_pool.acquire() as conn:
        await conn.execute(
            "UPDATE sms_templates SET body = $1 WHERE key = 'agency_reminder'",
            "یادآوری سامد\n{code}\nتا {due_on}",
        )
    assert await remind_agencies(db_pool, tehran(date(2025, 3, 8))) == 1
    async with db_pool.acquire() as conn:
        body = await conn.fetchval("SELECT body FROM sms_outbox WHERE request_id = $1", request_id)
    state = await lifecycle.get(request_id)
    assert state is not None
    assert body == f"یادآوری سامد\n{state.tracking_code}\nتا ۱۴۰۳/۱۲/۲۱"


async def test_an_agency_without_a_mobile_gets_the_portal_notice_only(
    db_pool: Pool, lifecycle: RequestLifecycle, request_id: int, center_id: int
) -> None:
    landline = await make_agency(db_pool, center_id, "دفتر بی‌همراه", "+988138270000")
    await assigned(lifecycle, request_id, landline)
    assert await remind_agencies(db_pool, tehran(date(2025, 3, 8))) == 1
    assert {k: v for k, v in (await counts(db_pool, request_id)).items() if k != "history"} == {
        "notices": 1, "sms": 0, "admin": 0,
    }  # fmt: skip
    entry = (await lifecycle.history(request_id))[-1]
    assert entry.note is not None
    assert "شمارهٔ همراهی برای پیامک ثبت نیست" in entry.note


async def test_reminders_run_twice_at_once_remind_each_request_once(
    db_pool: Pool, center_id: int, agency_id: int
) -> None:
    rows = [Waiting(date(2025, 3, 1), 10, remind_on=date(2025, 3, 8)) for _ in range(60)]
    ids = await insert_waiting(db_pool, center_id, agency_id, rows)
    now = tehran(date(2025, 3, 8))
    done = await asyncio.gather(*(remind_agencies(db_pool, now, batch=7) for _ in range(3)))
    assert sum(done) == 60
    async with db_pool.acquire() as conn:
        per_request = await conn.fetch(
            """SELECT r.id,
                      (SELECT count(*) FROM agency_notifications n WHERE n.request_id = r.id) AS n,
                      (SELECT count(*) FROM sms_outbox s WHERE s.request_id = r.id) AS s,
                      (SELECT count(*) FROM request_history h
                        WHERE h.request_id = r.id AND h.event = 'reminder_sent') AS h
               FROM requests r WHERE r.id = ANY($1::bigint[])""",
            ids,
        )
    assert {(r["n"], r["s"], r["h"]) for r in per_request} == {(1, 1, 1)}


async def test_escalation_happens_once_just_after_the_local_end_of_the_deadline(
    db_pool: Pool, lifecycle: RequestLifecycle, request_id: int, agency_id: int
) -> None:
    await assigned(lifecycle, request_id, agency_id)
    last_moment = tehran(date(2025, 3, 12), 0, 0) - timedelta(microseconds=1)
    assert not is_overdue(date(2025, 3, 11), last_moment, TEHRAN)
    assert await escalate_overdue_requests(db_pool, last_moment) == 0
    midnight = tehran(date(2025, 3, 12), 0, 0)
    assert is_overdue(date(2025, 3, 11), midnight, TEHRAN)
    assert await escalate_overdue_requests(db_pool, midnight) == 1
    assert await escalate_overdue_requests(db_pool, midnight + timedelta(minutes=5)) == 0
    state = await lifecycle.get(request_id)
    assert state is not None
    assert (state.status, state.escalated_at) == (Status.ESCALATED, midnight)
    entry = (await lifecycle.history(request_id))[-1]
    assert (entry.event, entry.action, entry.from_status, entry.to_status, entry.job) == (
        "transition", "escalate", Status.ASSIGNED, Status.ESCALATED, "deadline_job",
    )  # fmt: skip
    # The agency may still answer, late, and the inspectors still see why.
    await lifecycle.act(request_id, Action.ANSWER, actor=DESK, now=midnight + timedelta(days=1))
    answered = await lifecycle.get(request_id)
    assert answered is not None
    assert answered.answered_late is True


async def test_escalations_run_at_once_on_two_instances_escalate_each_request_once(
    db_pool: Pool, center_id: int, agency_id: int
) -> None:
    rows = [Waiting(date(2025, 3, 1), 10) for _ in range(250)]
    rows += [Waiting(date(2025, 3, 5), 10) for _ in range(20)]  # not due yet
    await insert_waiting(db_pool, center_id, agency_id, rows)
    now = tehran(date(2025, 3, 12))
    done = await asyncio.gather(
        *(escalate_overdue_requests(db_pool, now, batch=40) for _ in range(2))
    )
    assert sum(done) == 250
    async with db_pool.acquire() as conn:
        per_request = await conn.fetch(
            """SELECT r.status, count(h.id) AS escalations FROM requests r
               LEFT JOIN request_history h ON h.request_id = r.id AND h.action = 'escalate'
               WHERE r.center_id = $1 GROUP BY r.id""",
            center_id,
        )
    assert sorted({(r["status"], r["escalations"]) for r in per_request}) == [
        ("assigned", 0), ("escalated", 1),
    ]  # fmt: skip


async def test_a_request_answered_in_time_is_neither_reminded_escalated_nor_long_stopped(
    db_pool: Pool, lifecycle: RequestLifecycle, request_id: int, agency_id: int
) -> None:
    await assigned(lifecycle, request_id, agency_id)
    await lifecycle.act(request_id, Action.ANSWER, actor=DESK, now=tehran(date(2025, 3, 5)))
    for day in (date(2025, 3, 8), date(2025, 3, 12), date(2025, 3, 25)):
        assert await run_deadline_jobs(db_pool, tehran(day)) == DeadlineRound(0, 0, 0)
    state = await lifecycle.get(request_id)
    assert state is not None
    assert (state.status, state.answered_late) == (Status.ANSWERED, False)
    assert await counts(db_pool, request_id) == {"notices": 0, "sms": 0, "admin": 0, "history": 3}


async def test_a_request_past_its_deadline_is_escalated_not_reminded(
    db_pool: Pool, lifecycle: RequestLifecycle, request_id: int, agency_id: int
) -> None:
    await assigned(lifecycle, request_id, agency_id)
    # The service was down from day 6 to day 12: the round escalates, sends no reminder.
    assert await remind_agencies(db_pool, tehran(date(2025, 3, 12))) == 0
    result = await run_deadline_jobs(db_pool, tehran(date(2025, 3, 12)))
    assert (result.escalated, result.long_stops, result.reminded) == (1, 0, 0)


async def test_a_request_being_acted_on_is_left_for_the_next_round(
    db_pool: Pool, lifecycle: RequestLifecycle, request_id: int, agency_id: int
) -> None:
    await assigned(lifecycle, request_id, agency_id)
    now = tehran(date(2025, 3, 12))
    async with db_pool.acquire() as conn, conn.transaction():
        await conn.execute("SELECT 1 FROM requests WHERE id = $1 FOR UPDATE", request_id)
        assert await escalate_overdue_requests(db_pool, now) == 0
    assert await escalate_overdue_requests(db_pool, now) == 1


async def test_the_long_stop_is_marked_and_reported_to_the_province_once(
    db_pool: Pool, lifecycle: RequestLifecycle, request_id: int, agency_id: int, center_id: int
) -> None:
    await assigned(lifecycle, request_id, agency_id)
    assert await run_deadline_jobs(db_pool, tehran(date(2025, 3, 21), 23, 59)) == DeadlineRound(
        1, 0, 0
    )
    after = tehran(date(2025, 3, 22), 0, 0)
    runs = await asyncio.gather(mark_long_stops(db_pool, after), mark_long_stops(db_pool, after))
    assert sorted(runs) == [0, 1]
    assert await mark_long_stops(db_pool, after + timedelta(hours=1)) == 0
    state = await lifecycle.get(request_id)
    assert state is not None
    assert (state.status, state.long_stop_at) == (Status.ESCALATED, after)
    assert (await counts(db_pool, request_id))["admin"] == 1
    entry = (await lifecycle.history(request_id))[-1]
    assert (entry.event, entry.job, entry.details["long_stop_on"]) == (
        "long_stop", "deadline_job", "2025-03-21",
    )  # fmt: skip
    feed = await NotificationFeed(db_pool).page(center_id, 10, 0)
    [item] = [i for i in feed.items if i.kind == "request_long_stop"]
    assert item.scope is Scope.OWN
    assert fa_digits(state.tracking_code) in item.subject
    assert "۱۱ روز" in item.body  # 2025-03-22 is eleven days past 2025-03-11


async def test_a_request_sent_back_is_reminded_again_in_its_new_round(
    db_pool: Pool, lifecycle: RequestLifecycle, request_id: int, agency_id: int
) -> None:
    await assigned(lifecycle, request_id, agency_id)
    assert await remind_agencies(db_pool, tehran(date(2025, 3, 8))) == 1
    await lifecycle.act(request_id, Action.ANSWER, actor=DESK, now=tehran(date(2025, 3, 9)))
    sent_back = await lifecycle.act(
        request_id, Action.SEND_BACK, actor=DESK, now=tehran(date(2025, 3, 10)), deadline_days=5
    )
    # Five days from 2025-03-10: the reminder keeps its three days before the end.
    assert (sent_back.remind_on, sent_back.due_on) == (date(2025, 3, 12), date(2025, 3, 15))
    assert await remind_agencies(db_pool, tehran(date(2025, 3, 11))) == 0
    assert await remind_agencies(db_pool, tehran(date(2025, 3, 12))) == 1
    assert await remind_agencies(db_pool, tehran(date(2025, 3, 12), 15)) == 0
    assert {k: v for k, v in (await counts(db_pool, request_id)).items() if k != "history"} == {
        "notices": 2, "sms": 2, "admin": 0,
    }  # fmt: skip
