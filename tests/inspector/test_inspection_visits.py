"""Visit notes and the send-back notice on a real PostgreSQL: what is stored, what is
refused, and that a repeated submit writes nothing twice."""

from __future__ import annotations

import asyncio
import itertools
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest

from inspector.cases import NOW, make_case
from inspector.conftest import Province
from samad_ivr.admin.jalali import jalali_text
from samad_ivr.domain.lifecycle import Action, Status
from samad_ivr.storage.db import Pool
from samad_ivr.storage.inspection import InspectionRepository, VisitRefused
from samad_ivr.storage.lifecycle import Actor, RequestLifecycle, StaleRequest
from samad_ivr.storage.send_back import SendBackRefused, send_back_notice

INSPECTOR = Actor.named("inspector_test")
_names = itertools.count(1)
TZ = ZoneInfo("Asia/Tehran")


async def _user(pool: Pool, center_id: int) -> int:
    async with pool.acquire() as conn:
        return int(
            await conn.fetchval(
                "INSERT INTO users (username, full_name, role, center_id, password_hash)"
                " VALUES ($1, 'بازرس', 'inspector', $2, 'x') RETURNING id",
                f"insp-{next(_names)}",
                center_id,
            )
        )


async def _count(pool: Pool, sql: str, *args: object) -> int:
    async with pool.acquire() as conn:
        return int(await conn.fetchval(sql, *args))


async def test_a_visit_note_is_stored_once_even_when_submitted_twice(
    db_pool: Pool, lifecycle: RequestLifecycle, inspection: InspectionRepository,
    hamedan: Province,
) -> None:  # fmt: skip
    request_id = await make_case(
        db_pool, lifecycle, hamedan.center_id, hamedan.agency_id, Status.ESCALATED
    )
    user = await _user(db_pool, hamedan.center_id)
    now = NOW
    note = {
        "agency_id": hamedan.quiet_agency_id, "user_id": user,
        "visited_on": now.astimezone(TZ).date(),
        "findings": "  پرونده در دبیرخانه مانده بود.  ",
        "now": now,
    }  # fmt: skip
    first, second = await asyncio.gather(
        inspection.add_visit(request_id, **note),  # type: ignore[arg-type]
        inspection.add_visit(request_id, **note),  # type: ignore[arg-type]
    )
    assert first == second
    async with db_pool.acquire() as conn:
        row = await conn.fetchrow(
            "SELECT * FROM inspection_visits WHERE request_id = $1", request_id
        )
    assert row is not None
    assert (row["agency_id"], row["findings"]) == (
        hamedan.quiet_agency_id,
        "پرونده در دبیرخانه مانده بود.",
    )
    # A visit is not a move: the request and its history are untouched.
    state = await lifecycle.get(request_id)
    assert state is not None
    assert state.status is Status.ESCALATED
    assert len(await lifecycle.history(request_id)) == 3


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"findings": "   "}, "یافته"),
        ({"findings": "ی" * 10001}, "۱۰٬۰۰۰"),
        ({"days": 1}, "آینده"),
        ({"days": -400}, "پیش از ثبت"),
        ({"other_agency": True}, "استان همین درخواست"),
        ({"missing": True}, "پیدا نشد"),
    ],
)
async def test_a_visit_that_cannot_be_true_is_refused_with_a_reason(
    db_pool: Pool, lifecycle: RequestLifecycle, inspection: InspectionRepository,
    hamedan: Province, tehran: Province, change: dict[str, object], message: str,
) -> None:  # fmt: skip
    request_id = await make_case(
        db_pool, lifecycle, hamedan.center_id, hamedan.agency_id, Status.ANSWERED
    )
    now = NOW
    days = change.get("days", 0)
    assert isinstance(days, int)
    with pytest.raises(VisitRefused) as refused:
        await inspection.add_visit(
            999999 if change.get("missing") else request_id,
            agency_id=tehran.agency_id if change.get("other_agency") else hamedan.agency_id,
            user_id=await _user(db_pool, hamedan.center_id),
            visited_on=now.astimezone(TZ).date() + timedelta(days=days),
            findings=str(change.get("findings", "یافته")),
            now=now,
        )
    assert message in refused.value.message_fa
    assert await _count(db_pool, "SELECT count(*) FROM inspection_visits") == 0


async def test_sending_back_leaves_one_notice_and_one_sms_with_the_new_deadline(
    db_pool: Pool, lifecycle: RequestLifecycle, hamedan: Province
) -> None:
    request_id = await make_case(
        db_pool, lifecycle, hamedan.center_id, hamedan.agency_id, Status.ANSWERED
    )
    before = await lifecycle.get(request_id)
    assert before is not None
    reason = "پاسخ به پرسش اصلی شهروند نپرداخته است."

    async def send_back() -> object:
        return await lifecycle.act(
            request_id, Action.SEND_BACK, actor=INSPECTOR, now=NOW, note=reason,
            expected_version=before.version, deadline_days=5,
            within=send_back_notice(reason),
        )  # fmt: skip

    results = await asyncio.gather(send_back(), send_back(), return_exceptions=True)
    assert sorted(type(r).__name__ for r in results) == ["RequestState", "StaleRequest"]
    after = next(r for r in results if not isinstance(r, StaleRequest))
    state = await lifecycle.get(request_id)
    assert state == after
    assert state is not None
    assert state.status is Status.ASSIGNED
    # 2025-03-06, a Thursday: the Friday weekend is not in the way.
    assert state.due_on == NOW.date() + timedelta(days=5)
    async with db_pool.acquire() as conn:
        notices = await conn.fetch(
            "SELECT * FROM agency_notifications WHERE request_id = $1", request_id
        )
        sms = await conn.fetch("SELECT * FROM sms_outbox WHERE request_id = $1", request_id)
    assert len(notices) == 1
    assert notices[0]["agency_id"] == hamedan.agency_id
    assert notices[0]["kind"] == "sent_back"
    assert jalali_text(state.due_on) in notices[0]["subject"]
    assert notices[0]["body"] == reason
    assert [(s["destination"], s["status"]) for s in sms] == [("+989181110000", "queued")]
    assert jalali_text(state.due_on) in sms[0]["body"]
    assert state.tracking_code in sms[0]["body"]
    history = await lifecycle.history(request_id)
    assert history[-1].details["notice_id"] == notices[0]["id"]
    assert history[-1].details["sms_id"] == sms[0]["id"]


async def test_the_send_back_sms_is_the_text_the_admin_wrote(
    db_pool: Pool, lifecycle: RequestLifecycle, hamedan: Province
) -> None:
    request_id = await make_case(
        db_pool, lifecycle, hamedan.center_id, hamedan.agency_id, Status.ESCALATED
    )
    async with db_pool.acquire() as conn:
        await conn.execute(
            "UPDATE sms_templates SET body = $1 WHERE key = 'request_sent_back'",
            "بازرسی استان: پاسخ دوباره تا {due_on}\n{code}",
        )
    state = await lifecycle.act(
        request_id, Action.SEND_BACK, actor=INSPECTOR, now=NOW, note="پیگیری کنید",
        within=send_back_notice("پیگیری کنید"),
    )  # fmt: skip
    assert state.due_on is not None
    async with db_pool.acquire() as conn:
        body = await conn.fetchval("SELECT body FROM sms_outbox WHERE request_id = $1", request_id)
    assert (
        body == f"بازرسی استان: پاسخ دوباره تا {jalali_text(state.due_on)}\n{state.tracking_code}"
    )


async def test_an_agency_without_a_contact_mobile_gets_the_notice_only(
    db_pool: Pool, lifecycle: RequestLifecycle, hamedan: Province
) -> None:
    request_id = await make_case(
        db_pool, lifecycle, hamedan.center_id, hamedan.quiet_agency_id, Status.ESCALATED
    )
    await lifecycle.act(
        request_id, Action.SEND_BACK, actor=INSPECTOR, now=NOW, note="پیگیری کنید",
        within=send_back_notice("پیگیری کنید"),
    )  # fmt: skip
    assert await _count(db_pool, "SELECT count(*) FROM agency_notifications") == 1
    assert await _count(db_pool, "SELECT count(*) FROM sms_outbox") == 0


async def test_a_request_never_assigned_cannot_be_sent_back_and_nothing_is_written(
    db_pool: Pool, lifecycle: RequestLifecycle, hamedan: Province
) -> None:
    request_id = await make_case(
        db_pool, lifecycle, hamedan.center_id, hamedan.agency_id, Status.REGISTERED
    )
    await lifecycle.act(request_id, Action.RESOLVE, actor=INSPECTOR, now=NOW, note="حل شد")
    await lifecycle.act(request_id, Action.REOPEN, actor=INSPECTOR, now=NOW)
    with pytest.raises(SendBackRefused):
        await lifecycle.act(
            request_id, Action.SEND_BACK, actor=INSPECTOR, now=NOW,
            within=send_back_notice("x"),
        )  # fmt: skip
    state = await lifecycle.get(request_id)
    assert state is not None
    assert state.status is Status.REOPENED
    assert await _count(db_pool, "SELECT count(*) FROM agency_notifications") == 0
