from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

import pytest

from samad_ivr.sms.notifications import AdminNotifications
from samad_ivr.sms.provider import SendResult
from samad_ivr.sms.service import start_sms
from samad_ivr.storage.db import Pool
from samad_ivr.storage.sms import CapPolicy, OutboxStore

from .conftest import (
    LANDLINE,
    MOBILE,
    OTHER_MOBILE,
    CountingProvider,
    FakeClock,
    MakeWorker,
    QueueSms,
    attempts_of,
    outbox_row,
    sms_settings,
)


async def test_a_queued_message_is_sent_once_and_its_provider_id_stored(
    db_pool: Pool, queue_sms: QueueSms, make_worker: MakeWorker
) -> None:
    sms_id = await queue_sms()
    provider = CountingProvider()
    worker = make_worker(provider)
    assert await worker.run_once() == 1
    assert await worker.run_once() == 0
    row = await outbox_row(db_pool, sms_id)
    assert (row["status"], row["provider_message_id"], row["attempts"]) == (
        "submitted",
        f"fake-{sms_id}",
        1,
    )
    assert row["claimed_by"] is None
    assert provider.sent == {sms_id: 1}


async def test_gateway_down_is_retried_later_without_losing_or_doubling_the_message(
    db_pool: Pool, queue_sms: QueueSms, make_worker: MakeWorker, clock: FakeClock
) -> None:
    sms_id = await queue_sms()
    down = SendResult("transient", "ClientConnectorError: connection refused")
    provider = CountingProvider(results=[down, down])
    worker = make_worker(provider, sms_settings(retry_base_seconds="30"))

    await worker.run_once()
    row = await outbox_row(db_pool, sms_id)
    assert row["status"] == "queued"
    assert row["next_attempt_at"] == clock.now + timedelta(seconds=30)
    assert await worker.run_once() == 0  # not due yet
    clock.advance(30)
    await worker.run_once()  # second failure: backoff doubles
    clock.advance(59)
    assert await worker.run_once() == 0
    clock.advance(1)
    await worker.run_once()

    row = await outbox_row(db_pool, sms_id)
    assert (row["status"], row["attempts"]) == ("submitted", 3)
    assert provider.sent == {sms_id: 3}
    assert [a["outcome"] for a in await attempts_of(db_pool, sms_id)] == [
        "transient",
        "transient",
        "accepted",
    ]


async def test_a_garbage_answer_is_a_failed_attempt_with_the_raw_body_and_is_retried(
    db_pool: Pool, queue_sms: QueueSms, make_worker: MakeWorker, clock: FakeClock
) -> None:
    sms_id = await queue_sms()
    garbage = SendResult("transient", "unreadable answer", http_status=200, raw_response="<html>")
    worker = make_worker(CountingProvider(results=[garbage]))
    await worker.run_once()
    clock.advance(3600)
    await worker.run_once()
    attempts = await attempts_of(db_pool, sms_id)
    assert (attempts[0]["outcome"], attempts[0]["raw_response"]) == ("transient", "<html>")
    assert (await outbox_row(db_pool, sms_id))["status"] == "submitted"


async def test_two_workers_at_once_send_every_message_exactly_once(
    db_pool: Pool, queue_sms: QueueSms, make_worker: MakeWorker
) -> None:
    ids = [await queue_sms(f"+98912{n:07d}") for n in range(60)]
    provider = CountingProvider(delay=0.01)
    settings = sms_settings(batch_size="7")
    workers = [make_worker(provider, settings) for _ in range(2)]

    async def drain(worker_index: int) -> None:
        while await workers[worker_index].run_once():
            pass

    await asyncio.gather(drain(0), drain(1))
    assert provider.sent == {i: 1 for i in ids}
    async with db_pool.acquire() as conn:
        statuses = await conn.fetch("SELECT DISTINCT status FROM sms_outbox")
    assert [r["status"] for r in statuses] == ["submitted"]


async def test_a_crashed_workers_message_is_sent_again_only_after_its_lease_expires(
    db_pool: Pool,
    queue_sms: QueueSms,
    store: OutboxStore,
    make_worker: MakeWorker,
    clock: FakeClock,
) -> None:
    sms_id = await queue_sms()
    # A worker claims the row, then "crashes" before it stores any result.
    await store.claim(
        worker="crashed",
        provider="fake",
        now=clock.now,
        lease_until=clock.now + timedelta(seconds=120),
        limit=10,
        cap=CapPolicy(5, clock.now - timedelta(days=1)),
        is_mobile=lambda _: True,
    )
    provider = CountingProvider()
    worker = make_worker(provider)
    assert await worker.run_once() == 0
    clock.advance(121)
    assert await worker.run_once() == 1
    row = await outbox_row(db_pool, sms_id)
    assert (row["status"], row["attempts"]) == ("submitted", 2)
    assert provider.sent == {sms_id: 1}


async def test_a_message_failing_past_the_deadline_is_failed_and_admins_are_told(
    db_pool: Pool,
    queue_sms: QueueSms,
    make_worker: MakeWorker,
    clock: FakeClock,
    notes: AdminNotifications,
) -> None:
    sms_id = await queue_sms()
    down = SendResult("transient", "gateway down")
    worker = make_worker(CountingProvider(results=[down] * 10), sms_settings(give_up_minutes="60"))
    await worker.run_once()
    clock.advance(3601)
    await worker.run_once()
    row = await outbox_row(db_pool, sms_id)
    assert (row["status"], row["status_reason"]) == ("failed", "gave_up")
    [note] = await notes.open()
    assert note.kind == "sms_failed"
    assert "gateway down" in note.body
    assert MOBILE not in note.subject  # masked


async def test_only_mobile_numbers_receive_sms(
    db_pool: Pool, queue_sms: QueueSms, make_worker: MakeWorker
) -> None:
    sms_id = await queue_sms(LANDLINE)
    provider = CountingProvider()
    await make_worker(provider).run_once()
    row = await outbox_row(db_pool, sms_id)
    assert (row["status"], row["status_reason"]) == ("blocked", "not_mobile")
    assert not provider.sent


async def test_a_number_over_its_daily_cap_is_blocked_and_admins_are_told_once(
    db_pool: Pool, queue_sms: QueueSms, make_worker: MakeWorker, notes: AdminNotifications
) -> None:
    ids = [await queue_sms() for _ in range(5)]
    other = await queue_sms(OTHER_MOBILE)
    provider = CountingProvider()
    worker = make_worker(provider, sms_settings(daily_cap="3"))
    while await worker.run_once():
        pass
    statuses = [(await outbox_row(db_pool, i))["status"] for i in ids]
    assert statuses == ["submitted"] * 3 + ["blocked"] * 2
    assert (await outbox_row(db_pool, other))["status"] == "submitted"
    assert (await outbox_row(db_pool, ids[-1]))["status_reason"] == "daily_cap"
    assert [n.kind for n in await notes.open()] == ["sms_daily_cap"]


async def test_no_credit_keeps_the_message_queued_and_tells_the_admins_once(
    db_pool: Pool, queue_sms: QueueSms, make_worker: MakeWorker, notes: AdminNotifications
) -> None:
    first, second = await queue_sms(), await queue_sms(OTHER_MOBILE)
    no_credit = SendResult("transient", "kavenegar error 418", alert="no credit")
    await make_worker(CountingProvider(results=[no_credit, no_credit])).run_once()
    assert [(await outbox_row(db_pool, i))["status"] for i in (first, second)] == ["queued"] * 2
    assert [n.subject for n in await notes.open()] == ["no credit"]


async def test_a_permanent_rejection_fails_the_message_without_retrying(
    db_pool: Pool, queue_sms: QueueSms, make_worker: MakeWorker, clock: FakeClock
) -> None:
    sms_id = await queue_sms()
    provider = CountingProvider(results=[SendResult("permanent", "kavenegar error 411")])
    worker = make_worker(provider)
    await worker.run_once()
    clock.advance(86400)
    await worker.run_once()
    row = await outbox_row(db_pool, sms_id)
    assert (row["status"], row["status_reason"], row["last_error"]) == (
        "failed",
        "rejected",
        "kavenegar error 411",
    )
    assert provider.sent == {sms_id: 1}


async def test_notices_are_not_sent_to_numbers_that_opted_out_but_tracking_codes_are(
    db_pool: Pool, queue_sms: QueueSms, make_worker: MakeWorker
) -> None:
    async with db_pool.acquire() as conn:
        await conn.execute(
            "INSERT INTO sms_optouts (destination, source) VALUES ($1, 'sms')", MOBILE
        )
    notice = await queue_sms(category="notice")
    code = await queue_sms()
    await make_worker(CountingProvider()).run_once()
    assert (await outbox_row(db_pool, notice))["status_reason"] == "opted_out"
    assert (await outbox_row(db_pool, code))["status"] == "submitted"


async def test_serve_starts_a_worker_that_sends_with_the_log_provider_and_stops_cleanly(
    db_pool: Pool, queue_sms: QueueSms, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    runtime = await start_sms(
        db_pool, sms_settings(idle_seconds="1"), web_app_public_url="http://127.0.0.1:8080"
    )
    try:
        sms_id = await queue_sms()
        async with asyncio.timeout(10):
            while True:
                if (await outbox_row(db_pool, sms_id))["status"] == "submitted":
                    break
                await asyncio.sleep(0.1)
    finally:
        await runtime.close()
    assert (await outbox_row(db_pool, sms_id))["provider"] == "log"
    assert MOBILE not in caplog.text  # masked
    assert "1234567890" not in caplog.text  # the body stays in the database


async def test_an_unforeseen_error_in_a_pass_does_not_stop_the_worker(
    make_worker: MakeWorker, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Found by the soak: a worker task that died kept every tracking code queued."""
    worker = make_worker(CountingProvider(), sms_settings(idle_seconds="1"))
    passes: list[int] = []
    again = asyncio.Event()

    async def run_once() -> int:
        passes.append(1)
        if len(passes) == 1:
            raise RuntimeError("an error nobody foresaw")
        again.set()
        return 0

    monkeypatch.setattr(worker, "run_once", run_once)
    task = asyncio.create_task(worker.run())
    try:
        await asyncio.wait_for(again.wait(), timeout=5)
    finally:
        task.cancel()
    assert len(passes) >= 2
