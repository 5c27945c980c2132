from __future__ import annotations

import logging
import socket
from collections.abc import AsyncIterator
from datetime import timedelta

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from samad_ivr.settings import Secret
from samad_ivr.sms.config import KavenegarSettings
from samad_ivr.sms.delivery_store import DeliveryStore
from samad_ivr.sms.kavenegar import KavenegarProvider
from samad_ivr.sms.poller import DeliveryPoller
from samad_ivr.sms.provider import OutgoingSms
from samad_ivr.storage.db import Pool

from .conftest import MOBILE, FakeClock, MakeWorker, QueueSms, attempts_of, outbox_row, sms_settings
from .fake_kavenegar import API_KEY, FakeKavenegar

SMS = OutgoingSms(outbox_id=41, destination=MOBILE, body="سامد: کد پیگیری\n1234567890")


@pytest.fixture
async def fake() -> AsyncIterator[tuple[FakeKavenegar, str]]:
    fake = FakeKavenegar()
    server = TestServer(fake.app(), host="127.0.0.1")
    await server.start_server()
    try:
        yield fake, str(server.make_url("")).rstrip("/")
    finally:
        await server.close()


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as s:
        yield s


def provider_for(session: aiohttp.ClientSession, base_url: str) -> KavenegarProvider:
    return KavenegarProvider(
        session,
        KavenegarSettings(base_url=base_url, api_key=Secret(API_KEY)),
        sender="10004346",
        timeout=5,
    )


async def test_an_accepted_send_carries_our_id_as_localid_and_returns_kavenegars_id(
    fake: tuple[FakeKavenegar, str], session: aiohttp.ClientSession
) -> None:
    server, url = fake
    result = await provider_for(session, url).send(SMS)
    assert (result.outcome, result.provider_message_id, result.provider_status) == (
        "accepted",
        "8792343",
        "1",
    )
    [sent] = server.sent
    assert (sent["receptor"], sent["localid"], sent["sender"]) == ("09121234567", "41", "10004346")
    assert sent["message"] == SMS.body


async def test_a_retry_with_the_same_localid_is_not_sent_twice(
    fake: tuple[FakeKavenegar, str], session: aiohttp.ClientSession
) -> None:
    server, url = fake
    provider = provider_for(session, url)
    first, again = await provider.send(SMS), await provider.send(SMS)
    assert first.provider_message_id == again.provider_message_id
    assert len(server.sent) == 1


@pytest.mark.parametrize(
    ("code", "outcome", "alerts"),
    [(414, "transient", False), (418, "transient", True), (409, "transient", False),
     (403, "transient", True), (411, "permanent", False)],
)  # fmt: skip
async def test_error_codes_in_the_body_decide_between_retry_alert_and_failure(
    fake: tuple[FakeKavenegar, str],
    session: aiohttp.ClientSession,
    code: int,
    outcome: str,
    alerts: bool,
) -> None:
    server, url = fake
    server.script.append(code)
    result = await provider_for(session, url).send(SMS)
    assert (result.outcome, result.http_status, result.alert is not None) == (outcome, 200, alerts)
    assert result.detail == f"kavenegar error {code}"


async def test_garbage_is_a_transient_failure_that_keeps_the_raw_body(
    fake: tuple[FakeKavenegar, str], session: aiohttp.ClientSession
) -> None:
    server, url = fake
    server.script.append("<html>502 Bad Gateway</html>")
    result = await provider_for(session, url).send(SMS)
    assert (result.outcome, result.raw_response) == ("transient", "<html>502 Bad Gateway</html>")


async def test_the_api_key_is_never_logged_nor_stored(
    db_pool: Pool,
    fake: tuple[FakeKavenegar, str],
    session: aiohttp.ClientSession,
    queue_sms: QueueSms,
    make_worker: MakeWorker,
    clock: FakeClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    server, url = fake
    server.script.extend([f'{{"echo": "/v1/{API_KEY}/sms/send.json"}}', 418])
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed_port = s.getsockname()[1]
    sms_id = await queue_sms()
    worker = make_worker(provider_for(session, url))
    await worker.run_once()  # garbage echoing the key
    clock.advance(3600)
    await worker.run_once()  # no credit
    clock.advance(3600)
    down = make_worker(provider_for(session, f"http://127.0.0.1:{closed_port}"))
    await down.run_once()  # connection refused
    clock.advance(3600)
    await worker.run_once()  # accepted
    attempts = await attempts_of(db_pool, sms_id)
    assert [a["outcome"] for a in attempts] == ["transient"] * 3 + ["accepted"]
    # aiohttp.access is the fake server's log, i.e. Kavenegar's side, not ours.
    ours = [r for r in caplog.records if r.name != "aiohttp.access"]
    assert all(API_KEY not in r.getMessage() and not r.exc_text for r in ours)
    assert all(API_KEY not in f"{a['detail']} {a['raw_response']}" for a in attempts)
    async with db_pool.acquire() as conn:
        notes = await conn.fetch("SELECT subject, body FROM admin_notifications")
    assert notes
    assert all(API_KEY not in f"{n['subject']} {n['body']}" for n in notes)


async def test_status_polling_records_delivery_with_the_raw_code(
    db_pool: Pool,
    fake: tuple[FakeKavenegar, str],
    session: aiohttp.ClientSession,
    queue_sms: QueueSms,
    make_worker: MakeWorker,
    clock: FakeClock,
) -> None:
    server, url = fake
    settings = sms_settings(poll_first_seconds="120")
    provider = provider_for(session, url)
    sms_id = await queue_sms()
    await make_worker(provider, settings, polls_status=True).run_once()
    poller = DeliveryPoller(
        store=DeliveryStore(db_pool),
        poller=provider,
        provider="kavenegar",
        settings=settings,
        clock=clock,
    )
    assert await poller.run_once() == 0  # first poll only after two minutes
    clock.advance(120)
    server.statuses[8792343] = 4  # at the operator
    assert await poller.run_once() == 1
    row = await outbox_row(db_pool, sms_id)
    assert (row["status"], row["provider_status"]) == ("submitted", "4")
    assert row["next_poll_at"] == clock.now + timedelta(seconds=240)
    clock.advance(240)
    server.statuses[8792343] = 10
    await poller.run_once()
    row = await outbox_row(db_pool, sms_id)
    assert (row["status"], row["provider_status"], row["next_poll_at"]) == ("delivered", "10", None)
    async with db_pool.acquire() as conn:
        codes = await conn.fetch(
            "SELECT raw_code, status FROM sms_delivery_events WHERE outbox_id = $1 ORDER BY id",
            sms_id,
        )
    assert [(c["raw_code"], c["status"]) for c in codes] == [
        ("4", "submitted"),
        ("10", "delivered"),
    ]


async def test_polling_gives_up_after_two_days_without_a_final_state(
    db_pool: Pool,
    fake: tuple[FakeKavenegar, str],
    session: aiohttp.ClientSession,
    queue_sms: QueueSms,
    make_worker: MakeWorker,
    clock: FakeClock,
) -> None:
    _server, url = fake
    settings = sms_settings()
    provider = provider_for(session, url)
    sms_id = await queue_sms()
    await make_worker(provider, settings, polls_status=True).run_once()
    poller = DeliveryPoller(
        store=DeliveryStore(db_pool),
        poller=provider,
        provider="kavenegar",
        settings=settings,
        clock=clock,
    )
    polls = 0
    for _ in range(100):
        clock.advance(4 * 3600)
        polls += await poller.run_once()
        if (await outbox_row(db_pool, sms_id))["status"] != "submitted":
            break
    row = await outbox_row(db_pool, sms_id)
    assert (row["status"], row["status_reason"]) == ("expired", "no final report")
    assert 5 <= polls <= 14  # minutes at first, then every four hours, for ~48 h
