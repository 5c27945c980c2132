from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from urllib.parse import quote

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from samad_ivr.domain.deadlines import DeadlinePolicy
from samad_ivr.sms.delivery_store import DeliveryStore
from samad_ivr.sms.inbound import InboundRouter
from samad_ivr.storage.db import Pool
from samad_ivr.storage.lifecycle import RequestLifecycle
from samad_ivr.storage.satisfaction_verdicts import Verdicts
from samad_ivr.web.sms_callbacks import SmsCallbacks

from .conftest import MOBILE, TOKEN, CountingProvider, FakeClock, MakeWorker, QueueSms, outbox_row


@pytest.fixture
async def client(
    db_pool: Pool, clock: FakeClock
) -> AsyncIterator[TestClient[web.Request, web.Application]]:
    callbacks = SmsCallbacks(
        token=TOKEN,
        outbox=DeliveryStore(db_pool),
        inbound=InboundRouter(
            db_pool,
            optout_words=("لغو", "11"),
            verdicts=Verdicts(db_pool, RequestLifecycle(db_pool, DeadlinePolicy())),
            clock=clock,
        ),
        clock=clock,
    )
    app = web.Application()
    callbacks.setup(app)
    async with TestClient(TestServer(app, host="127.0.0.1")) as c:
        yield c


async def sent_sms(queue_sms: QueueSms, make_worker: MakeWorker) -> int:
    sms_id = await queue_sms()
    await make_worker(CountingProvider(name="kannel")).run_once()
    return sms_id


async def test_a_delivered_dlr_marks_the_message_delivered_and_keeps_the_raw_answer(
    db_pool: Pool,
    client: TestClient[web.Request, web.Application],
    queue_sms: QueueSms,
    make_worker: MakeWorker,
) -> None:
    sms_id = await sent_sms(queue_sms, make_worker)
    answer = (
        "id:123 sub:001 dlvrd:001 submit date:2503010930 done date:2503010931 stat:DELIVRD err:000"
    )
    resp = await client.get(
        f"/sms/kannel/dlr/{TOKEN}",
        params={"id": str(sms_id), "type": "1", "answer": answer, "fid": "abc-1"},
    )
    assert resp.status == 200
    row = await outbox_row(db_pool, sms_id)
    assert (row["status"], row["provider_status"], row["provider_message_id"]) == (
        "delivered",
        "1",
        "fake-" + str(sms_id),
    )
    async with db_pool.acquire() as conn:
        raw = await conn.fetchval(
            "SELECT raw FROM sms_delivery_events WHERE outbox_id = $1", sms_id
        )
    assert raw == answer


async def test_an_expired_receipt_is_told_apart_from_undelivered(
    db_pool: Pool,
    client: TestClient[web.Request, web.Application],
    queue_sms: QueueSms,
    make_worker: MakeWorker,
) -> None:
    sms_id = await sent_sms(queue_sms, make_worker)
    await client.get(
        f"/sms/kannel/dlr/{TOKEN}",
        params={"id": str(sms_id), "type": "2", "answer": "stat:EXPIRED err:000"},
    )
    assert (await outbox_row(db_pool, sms_id))["status"] == "expired"
    # A late report does not reopen a final state.
    await client.get(f"/sms/kannel/dlr/{TOKEN}", params={"id": str(sms_id), "type": "8"})
    assert (await outbox_row(db_pool, sms_id))["status"] == "expired"


async def test_a_dlr_for_an_unknown_id_is_404_with_a_log_line_and_changes_nothing(
    db_pool: Pool,
    client: TestClient[web.Request, web.Application],
    queue_sms: QueueSms,
    caplog: pytest.LogCaptureFixture,
) -> None:
    never_sent = await queue_sms()
    caplog.set_level(logging.WARNING)
    for unknown in ("999999", str(never_sent)):
        resp = await client.get(f"/sms/kannel/dlr/{TOKEN}", params={"id": unknown, "type": "1"})
        assert resp.status == 404
    assert "unknown sms 999999" in caplog.text
    async with db_pool.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM sms_delivery_events") == 0
    assert (await outbox_row(db_pool, never_sent))["status"] == "queued"


@pytest.mark.parametrize(
    "query",
    ["", "id=abc&type=1", "id=1&type=", "id=-1&type=1", "id=1&type=77", "id=1&type=1&fid=%00%ff",
     "id=99999999999999999999999&type=1", "id=1&type=1&id=%ZZ"],
)  # fmt: skip
async def test_garbage_dlr_parameters_are_a_client_error_never_a_500(
    client: TestClient[web.Request, web.Application], query: str
) -> None:
    resp = await client.get(f"/sms/kannel/dlr/{TOKEN}?{query}")
    assert resp.status in (400, 404)


async def test_a_wrong_token_is_a_404(client: TestClient[web.Request, web.Application]) -> None:
    for path in ("dlr", "mo"):
        resp = await client.get(
            f"/sms/kannel/{path}/{TOKEN[:-1]}x", params={"id": "1", "type": "1"}
        )
        assert resp.status == 404


def ucs2(text: str) -> str:
    return quote(text.encode("utf-16-be"), safe="")


async def test_the_opt_out_word_in_ucs2_unsubscribes_the_sender_from_notices(
    db_pool: Pool, client: TestClient[web.Request, web.Application]
) -> None:
    query = f"from=%2B989121234567&to=111&text={ucs2(' لغو ')}&coding=2&charset=UTF-16BE"
    resp = await client.get(f"/sms/kannel/mo/{TOKEN}?{query}")
    assert resp.status == 200
    assert await resp.text() == ""  # Kannel must not answer with an SMS
    async with db_pool.acquire() as conn:
        assert await conn.fetchval("SELECT destination FROM sms_optouts") == MOBILE
        assert await conn.fetchval("SELECT kind FROM sms_inbound") == "optout"


async def test_a_digit_from_a_number_with_no_open_question_is_unknown_and_changes_nothing(
    db_pool: Pool, client: TestClient[web.Request, web.Application]
) -> None:
    # The sender has an answered request but was never asked: "2" reopens nothing.
    async with db_pool.acquire() as conn:
        call_id = await conn.fetchval(
            "INSERT INTO calls (uniqueid, caller_raw, caller_e164, started_at)"
            " VALUES ('1.1', '09121234567', $1, now()) RETURNING id",
            MOBILE,
        )
        request_id = await conn.fetchval(
            "INSERT INTO requests (tracking_code, call_id, caller_e164)"
            " VALUES ('1234567890', $1, $2) RETURNING id",
            call_id,
            MOBILE,
        )
        history_before = await conn.fetchval(
            "SELECT count(*) FROM request_history WHERE request_id = $1", request_id
        )
    await client.get(f"/sms/kannel/mo/{TOKEN}?from=09121234567&text={ucs2('۲')}&coding=2")
    async with db_pool.acquire() as conn:
        rows = await conn.fetch("SELECT kind, request_id, question_id FROM sms_inbound")
        status = await conn.fetchval("SELECT status FROM requests WHERE id = $1", request_id)
        history_after = await conn.fetchval(
            "SELECT count(*) FROM request_history WHERE request_id = $1", request_id
        )
    assert [tuple(r) for r in rows] == [("unknown", None, None)]
    assert (status, history_after) == ("registered", history_before)


async def test_unknown_text_and_odd_senders_are_stored_and_ignored(
    db_pool: Pool, client: TestClient[web.Request, web.Application]
) -> None:
    await client.get(f"/sms/kannel/mo/{TOKEN}?from=111&text=hello+there&coding=0&charset=UTF-8")
    resp = await client.get(f"/sms/kannel/mo/{TOKEN}?from=111&text=x&charset=EBCDIC")
    assert resp.status == 400
    async with db_pool.acquire() as conn:
        rows = await conn.fetch("SELECT source, source_raw, text, kind FROM sms_inbound")
    assert [tuple(r) for r in rows] == [(None, "111", "hello there", "unknown")]
