"""Item 1 of issue 15: nobody can use up a citizen's SMS by signing their number up."""

from __future__ import annotations

from samad_ivr.notices.signup import SignupService
from samad_ivr.sms.notifications import AdminNotifications
from samad_ivr.storage.db import Pool
from samad_ivr.storage.notices import NoticeRepository, WebSignup

from .conftest import (
    MOBILE,
    OTHER_MOBILE,
    CountingProvider,
    FakeClock,
    MakeWorker,
    QueueSms,
    outbox_row,
    sms_settings,
)

ATTACKER = "203.0.113.7"


NEW_CENTER_SQL = "INSERT INTO centers (code, name, queue_name) VALUES ($1, $1, $1) RETURNING id"


async def make_centers(pool: Pool, count: int) -> list[int]:
    return [int(await pool.fetchval(NEW_CENTER_SQL, f"budget-{n}")) for n in range(count)]


async def drain(worker: object) -> None:
    while await worker.run_once():  # type: ignore[attr-defined]
        pass


async def test_web_sign_ups_for_a_number_never_block_its_tracking_code(
    db_pool: Pool, queue_sms: QueueSms, make_worker: MakeWorker, clock: FakeClock
) -> None:
    signup = SignupService(NoticeRepository(db_pool))
    for center in await make_centers(db_pool, 6):
        await signup.start_web(center, MOBILE, clock.now, address=ATTACKER)
    worker = make_worker(CountingProvider(), sms_settings())  # the default cap: 5 a day
    clock.advance(1)
    await drain(worker)  # the attacker's codes went out first
    tracking = await queue_sms(MOBILE)
    await drain(worker)
    row = await outbox_row(db_pool, tracking)
    assert (row["status"], row["status_reason"]) == ("submitted", None)


async def test_a_number_gets_at_most_three_sign_up_codes_a_day_from_anywhere(
    db_pool: Pool, clock: FakeClock
) -> None:
    signup = SignupService(NoticeRepository(db_pool))
    outcomes = [
        await signup.start_web(center, MOBILE, clock.now, address=f"198.51.100.{n}")
        for n, center in enumerate(await make_centers(db_pool, 5))
    ]
    assert outcomes == [WebSignup.CODE_SENT] * 3 + [WebSignup.LIMITED] * 2
    assert await db_pool.fetchval("SELECT count(*) FROM sms_outbox") == 3
    assert {r["category"] for r in await db_pool.fetch("SELECT category FROM sms_outbox")} == {
        "signup"
    }


async def test_one_address_gets_at_most_ten_sign_up_codes_an_hour(
    db_pool: Pool, clock: FakeClock
) -> None:
    signup = SignupService(NoticeRepository(db_pool))
    (center,) = await make_centers(db_pool, 1)
    outcomes = [
        await signup.start_web(center, f"+98912{n:07d}", clock.now, address=ATTACKER)
        for n in range(12)
    ]
    assert outcomes.count(WebSignup.CODE_SENT) == 10
    assert outcomes[-2:] == [WebSignup.LIMITED] * 2
    # another address is not affected
    other = await signup.start_web(center, OTHER_MOBILE, clock.now, address="192.0.2.1")
    assert other is WebSignup.CODE_SENT


async def test_non_essential_sms_stop_at_the_daily_ceiling_and_admins_are_told_once(
    db_pool: Pool, queue_sms: QueueSms, make_worker: MakeWorker, notes: AdminNotifications
) -> None:
    notices = [await queue_sms(f"+98912{n:07d}", category="notice") for n in range(4)]
    tracking = await queue_sms(f"+98912{0:07d}")
    provider = CountingProvider()
    await drain(make_worker(provider, sms_settings(nonessential_daily_max="3")))
    statuses = [(await outbox_row(db_pool, i))["status_reason"] for i in notices]
    assert statuses == [None, None, None, "daily_ceiling"]
    assert (await outbox_row(db_pool, tracking))["status"] == "submitted"
    assert [n.kind for n in await notes.open()] == ["sms_daily_ceiling"]


async def test_notices_to_a_number_do_not_count_against_its_citizen_messages(
    db_pool: Pool, queue_sms: QueueSms, make_worker: MakeWorker
) -> None:
    for _ in range(3):
        await queue_sms(MOBILE, category="notice")
    answers = [await queue_sms(MOBILE) for _ in range(3)]
    await drain(make_worker(CountingProvider(), sms_settings(daily_cap="3")))
    assert [(await outbox_row(db_pool, i))["status"] for i in answers] == ["submitted"] * 3
