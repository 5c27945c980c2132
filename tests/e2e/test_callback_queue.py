"""Callbacks instead of endless waiting, on real Asterisk (issue 13).

One desk on duty (`long`: about 30 s a conversation).  A talks with it and B waits, so
the line is longer than the limit (0) when C and D arrive: both are offered a callback
and press 1.  C's callback is placed when the desk frees after B (C never goes ahead
of B, who came first), answered, put through to the desk, recorded and registered like
an inbound call (route 'callback').  D never answers: tried three times, then turned
into a request on D's own call with a tracking code and the SMS naming the next session.
"""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime, timedelta

import asyncpg

from samad_ivr.ami.client import AmiClient
from samad_ivr.storage.roster import RosterRepository

from .conftest import AsteriskInstance, wait_for
from .test_call_flows import finished_call, place
from .test_queue_desks import log_dir, queue_log

LONG = "Local/long@samad-test-queue-desk"
A, B = "09181230011", "09181230012"
C, D = "09120000013", "09120000019"  # samad-test-citizen: answers / never answers
SETTINGS = {
    "SAMAD_QUEUE_MAX_WAIT_SECONDS": "300",
    "SAMAD_QUEUE_SYNC_SECONDS": "1",
    "SAMAD_CALLBACK_QUEUE_LIMIT": "0",
    "SAMAD_CALLBACK_DIAL": "Local/{national}@samad-test-citizen",
    "SAMAD_CALLBACK_RING_SECONDS": "5",
    "SAMAD_CALLBACK_RETRY_SECONDS": "10",
    "SAMAD_CALLBACK_DISPATCH_SECONDS": "1",
}


async def test_a_long_queue_caller_is_called_back_in_turn_and_an_unanswered_one_becomes_a_request(
    asterisk: AsteriskInstance, ami: AmiClient, db_pool: asyncpg.Pool, start_service: object
) -> None:
    roster = RosterRepository(db_pool)
    center = await roster.ensure_center("hamedan", "مرکز سامد همدان", "samad-desk")
    await roster.set_weekend(center, frozenset())
    agency = await roster.ensure_agency(center, "استانداری همدان")
    official = await roster.add_official(center, "میز یک", "معاون استاندار", agency, LONG)
    now = datetime.now(UTC)
    await roster.add_slot(center, official, now - timedelta(minutes=5), now + timedelta(hours=1))
    await start_service(**SETTINGS)  # type: ignore[operator]

    async def member() -> bool:
        return LONG in asterisk.rx("queue show samad-desk")

    await wait_for(member, 30, "the desk on duty to be a queue member")
    await place(ami, A, "speak", SAMAD_TEST_REPEATS="1")
    await asyncio.sleep(2)
    await place(ami, B, "speak", SAMAD_TEST_REPEATS="1")
    await asyncio.sleep(4)
    await place(ami, C, "callback-yes")
    await asyncio.sleep(1)
    await place(ami, D, "callback-yes")

    async def two_stored() -> list[asyncpg.Record]:
        rows = await db_pool.fetch("SELECT * FROM callbacks ORDER BY queued_at")
        return rows if len(rows) == 2 else []

    stored = await wait_for(two_stored, 90, "C's and D's callbacks to be stored")
    numbers = [r["caller_e164"] for r in stored]  # type: ignore[attr-defined]
    assert numbers == ["+989120000013", "+989120000019"]

    async def settled() -> list[asyncpg.Record]:
        rows = await db_pool.fetch("SELECT * FROM callbacks ORDER BY queued_at")
        return rows if {r["status"] for r in rows} == {"reached", "converted"} else []

    c_cb, d_cb = await wait_for(settled, 240, "C reached and D converted")  # type: ignore[misc]
    assert (c_cb["status"], c_cb["attempts"]) == ("reached", 1)
    assert (d_cb["status"], d_cb["attempts"]) == ("converted", 3)
    d_attempts = await db_pool.fetch(
        "SELECT result FROM callback_attempts WHERE callback_id = $1 ORDER BY attempt", d_cb["id"]
    )
    assert [r["result"] for r in d_attempts] == ["no_answer"] * 3

    # C's callback: a conversation with the desk, recorded and registered, route 'callback'.
    async def callback_call() -> asyncpg.Record | None:
        return await db_pool.fetchrow(
            "SELECT * FROM calls WHERE uniqueid = $1 AND ended_at IS NOT NULL", c_cb["channel_id"]
        )

    call = await wait_for(callback_call, 120, "C's callback conversation to end")
    assert (call["route"], call["disposition"], call["official_id"]) == (  # type: ignore[index]
        "callback", "answered", official,
    )  # fmt: skip
    assert call["caller_e164"] == "+989120000013"  # type: ignore[index]
    call_id = call["id"]  # type: ignore[index]
    request = await db_pool.fetchrow("SELECT * FROM requests WHERE call_id = $1", call_id)
    assert request is not None
    assert request["official_id"] == official
    sms = await db_pool.fetch("SELECT * FROM sms_outbox WHERE request_id = $1", request["id"])
    assert [s["destination"] for s in sms] == ["+989120000013"]
    assert request["tracking_code"] in sms[0]["body"]
    recording = await db_pool.fetchrow(
        "SELECT path FROM recordings WHERE call_id = $1 AND kind = 'call'", call_id
    )
    assert recording is not None

    # C kept its place: the desk took B (who came first) before C's callback.
    b_call = await finished_call(db_pool, B)
    events = queue_log(asterisk, {b_call["uniqueid"], c_cb["channel_id"]})
    connect = {f[1]: float(f[0]) for f in events if f[4] == "CONNECT"}
    assert connect[b_call["uniqueid"]] < connect[c_cb["channel_id"]], events

    # D: a request on D's own call with a tracking code and the SMS naming the next session.
    d_request = await db_pool.fetchrow("SELECT * FROM requests WHERE id = $1", d_cb["request_id"])
    assert d_request is not None
    d_origin = await db_pool.fetchval(
        "SELECT uniqueid FROM calls WHERE id = $1", d_request["call_id"]
    )
    assert d_origin == d_cb["origin_uniqueid"]
    d_sms = await db_pool.fetch("SELECT * FROM sms_outbox WHERE request_id = $1", d_request["id"])
    assert [s["destination"] for s in d_sms] == ["+989120000019"]
    assert d_request["tracking_code"] in d_sms[0]["body"].splitlines()
    assert "نوبت بعدی پاسخ‌گویی" in d_sms[0]["body"]

    # What the callers heard (Asterisk's log of what was played to their channels).
    text = (log_dir(asterisk) / "messages.log").read_text(errors="replace")
    for cb in (c_cb, d_cb):
        opened = re.search(
            r'NoOp\("([^"]+)", "Samad call ' + re.escape(cb["origin_uniqueid"]) + r'"\)', text
        )
        assert opened is not None
        heard = re.findall("<" + re.escape(opened[1]) + r"> Playing '([^']+)\.", text)
        assert "callback-offer" in heard
        assert heard.index("callback-stored") > heard.index("callback-offer")
    intro = re.findall(r"<Local/09120000013@samad-test-citizen-[^>]+;1> Playing '([^']+)\.", text)
    assert "callback-intro" in intro
    assert "tracking-code-is" in intro  # the tracking code read back after the conversation
