"""CallRepository.upsert_call under concurrency: shared statements, the same merge rules."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import timedelta

import asyncpg
import pytest

from samad_ivr.storage.calls import CallRepository, CallUpsert

from .conftest import T0


def _call(uniqueid: str, **fields: object) -> CallUpsert:
    values: dict[str, object] = {
        "uniqueid": uniqueid,
        "caller_raw": "09121234567",
        "caller_e164": "+989121234567",
        "started_at": T0,
    }
    values.update(fields)
    return CallUpsert(**values)  # type: ignore[arg-type]


@pytest.fixture
def statements(calls: CallRepository, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Sizes of the multi-row statements the repository sent."""
    sizes: list[int] = []
    many = calls._upsert_many

    async def counted(batch: Sequence[CallUpsert]) -> list[int]:
        sizes.append(len(batch))
        return await many(batch)

    monkeypatch.setattr(calls._upserts, "_write_many", counted)
    return sizes


async def test_a_burst_of_calls_shares_statements_and_every_call_gets_its_own_row(
    calls: CallRepository, statements: list[int], center_id: int
) -> None:
    burst = [_call(f"burst.{i}", center_id=center_id, queue_wait_seconds=i / 4) for i in range(40)]
    ids = await asyncio.gather(*(calls.upsert_call(c) for c in burst))
    assert len(set(ids)) == 40
    assert sum(statements) == 40
    for c, call_id in zip(burst, ids, strict=True):
        row = await calls.get_call(c.uniqueid)
        assert row is not None
        assert (row.id, row.center_id, row.queue_wait_seconds) == (
            call_id,
            center_id,
            c.queue_wait_seconds,
        )


async def test_one_call_reported_twice_in_a_burst_merges_as_if_reported_in_turn(
    calls: CallRepository, statements: list[int]
) -> None:
    answered = T0 + timedelta(seconds=5)
    ended = T0 + timedelta(minutes=2)
    reports = [
        _call("twice", caller_name_raw="Ali", answered_at=answered, route="desk"),
        _call("other.1"),
        _call(
            "twice",
            caller_raw="later",
            started_at=T0 - timedelta(seconds=1),
            ended_at=ended,
            disposition="answered",
        ),
        _call("other.2"),
    ]
    ids = await asyncio.gather(*(calls.upsert_call(c) for c in reports))
    assert ids[0] == ids[2]
    assert max(statements) >= 2  # the burst really went out in shared statements
    row = await calls.get_call("twice")
    assert row is not None
    assert (row.caller_raw, row.caller_name_raw, row.started_at) == (
        "09121234567",
        "Ali",
        T0 - timedelta(seconds=1),
    )
    assert (row.answered_at, row.ended_at, row.disposition, row.route) == (
        answered,
        ended,
        "answered",
        "desk",
    )


async def test_a_call_the_database_refuses_fails_alone_and_the_rest_are_stored(
    calls: CallRepository, statements: list[int]
) -> None:
    burst = [_call(f"mixed.{i}") for i in range(6)]
    burst[3] = _call("mixed.3", queue_wait_seconds=-1.0)  # violates a CHECK constraint
    results = await asyncio.gather(*(calls.upsert_call(c) for c in burst), return_exceptions=True)
    assert isinstance(results[3], asyncpg.CheckViolationError)
    assert all(isinstance(r, int) for i, r in enumerate(results) if i != 3)
    assert await calls.get_call("mixed.3") is None
    for i in (0, 1, 2, 4, 5):
        assert await calls.get_call(f"mixed.{i}") is not None
    assert statements == [6]
