from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator

import pytest

from samad_ivr.storage.db import Pool
from samad_ivr.storage.requests import (
    MAX_CODE_ATTEMPTS,
    RequestRepository,
    TrackingCodeExhausted,
    UnknownCall,
)

from .conftest import MakeCall

MOBILE = "+989121234567"


def body(code: str) -> str:
    return f"درخواست شما ثبت شد. کد پیگیری: {code}"


def codes(*values: str) -> Callable[[], str]:
    it: Iterator[str] = iter(values)
    return lambda: next(it)


def counting_codes() -> Callable[[], str]:
    counter = iter(range(1_000_000_000, 2_000_000_000))
    return lambda: str(next(counter))


async def test_register_creates_request_and_one_queued_sms(
    requests_repo: RequestRepository, make_call: MakeCall
) -> None:
    call_id = await make_call()
    reg = await requests_repo.register(
        call_id, MOBILE, None, None, MOBILE, body, codes("1234567890")
    )
    assert (reg.tracking_code, reg.call_id, reg.created) == ("1234567890", call_id, True)
    assert reg.sms_id is not None

    row = await requests_repo.get_by_code("1234567890")
    assert row is not None
    assert (row.id, row.status, row.caller_e164) == (reg.id, "registered", MOBILE)
    outbox = await requests_repo.outbox_for(reg.id)
    assert [(o.id, o.destination, o.body, o.status) for o in outbox] == [
        (reg.sms_id, MOBILE, body("1234567890"), "queued")
    ]
    assert await requests_repo.get_by_code("0000000000") is None


async def test_register_is_idempotent_per_call(
    requests_repo: RequestRepository, make_call: MakeCall
) -> None:
    call_id = await make_call()
    first = await requests_repo.register(
        call_id, MOBILE, None, None, MOBILE, body, codes("1111111111")
    )
    second = await requests_repo.register(
        call_id, MOBILE, None, None, MOBILE, body, codes("2222222222")
    )
    assert second.created is False
    assert (second.id, second.tracking_code, second.sms_id) == (
        first.id,
        "1111111111",
        first.sms_id,
    )
    assert len(await requests_repo.outbox_for(first.id)) == 1


async def test_concurrent_register_for_one_call_creates_one_request_and_one_sms(
    requests_repo: RequestRepository, make_call: MakeCall, db_pool: Pool
) -> None:
    call_id = await make_call()
    new_code = counting_codes()
    results = await asyncio.gather(
        *(
            requests_repo.register(call_id, MOBILE, None, None, MOBILE, body, new_code)
            for _ in range(10)
        )
    )
    assert sum(r.created for r in results) == 1
    assert {(r.id, r.tracking_code, r.sms_id) for r in results} == {
        (results[0].id, results[0].tracking_code, results[0].sms_id)
    }
    assert await db_pool.fetchval("SELECT count(*) FROM requests") == 1
    assert await db_pool.fetchval("SELECT count(*) FROM sms_outbox") == 1


async def test_taken_tracking_code_is_retried_with_a_fresh_one(
    requests_repo: RequestRepository, make_call: MakeCall
) -> None:
    taken = await requests_repo.register(
        await make_call(), None, None, None, None, body, codes("5555555555")
    )
    reg = await requests_repo.register(
        await make_call(), MOBILE, None, None, MOBILE, body, codes("5555555555", "6666666666")
    )
    assert reg.tracking_code == "6666666666"
    assert reg.id != taken.id
    assert [o.body for o in await requests_repo.outbox_for(reg.id)] == [body("6666666666")]


async def test_exhausted_tracking_codes_raise_and_leave_nothing_behind(
    requests_repo: RequestRepository, make_call: MakeCall, db_pool: Pool
) -> None:
    await requests_repo.register(await make_call(), None, None, None, None, body, codes("7" * 10))
    with pytest.raises(TrackingCodeExhausted):
        await requests_repo.register(
            await make_call(), MOBILE, None, None, MOBILE, body, lambda: "7" * 10
        )
    assert await db_pool.fetchval("SELECT count(*) FROM requests") == 1
    assert await db_pool.fetchval("SELECT count(*) FROM sms_outbox") == 0
    assert MAX_CODE_ATTEMPTS == 5


async def test_no_sms_row_when_destination_is_none(
    requests_repo: RequestRepository, make_call: MakeCall, db_pool: Pool
) -> None:
    reg = await requests_repo.register(
        await make_call(), None, None, None, None, body, codes("1212121212")
    )
    assert reg.sms_id is None
    assert await requests_repo.outbox_for(reg.id) == []
    assert await db_pool.fetchval("SELECT count(*) FROM sms_outbox") == 0


async def test_register_rejects_unknown_call_and_malformed_input(
    requests_repo: RequestRepository, make_call: MakeCall
) -> None:
    with pytest.raises(UnknownCall):
        await requests_repo.register(999_999, None, None, None, None, body, codes("1" * 10))
    call_id = await make_call()
    with pytest.raises(ValueError, match="sms_destination"):
        await requests_repo.register(call_id, None, None, None, "0912", body, codes("1" * 10))
    with pytest.raises(ValueError, match="10 digits"):
        await requests_repo.register(call_id, None, None, None, None, body, codes("12345"))
