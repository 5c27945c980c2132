"""GroupWriter: concurrent writes share statements, each keeps its own outcome."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest

from samad_ivr.storage.db import StorageUnavailable
from samad_ivr.storage.group_writer import GroupWriter


class FakeTable:
    """Records every statement; a write is slow enough for others to queue behind it."""

    def __init__(self, *, refuse: set[str] | None = None, down: bool = False) -> None:
        self.statements: list[list[str]] = []
        self.refuse = refuse or set()
        self.down = down

    async def write_one(self, item: str) -> str:
        return (await self.write_many([item]))[0]

    async def write_many(self, items: Sequence[str]) -> list[str]:
        self.statements.append(list(items))
        await asyncio.sleep(0.01)
        if self.down:
            raise StorageUnavailable("database unavailable: refused")
        if refused := self.refuse.intersection(items):
            raise ValueError(f"refused {sorted(refused)}")
        return [f"id:{item}" for item in items]

    def writer(self, max_batch: int = 200) -> GroupWriter[str, str]:
        return GroupWriter(
            write_one=self.write_one,
            write_many=self.write_many,
            key=lambda item: item.split("#")[0],
            max_batch=max_batch,
        )


async def test_a_lone_write_goes_out_at_once_in_its_own_statement() -> None:
    table = FakeTable()
    loop = asyncio.get_running_loop()
    started = loop.time()
    assert await table.writer().write("a") == "id:a"
    assert table.statements == [["a"]]
    assert loop.time() - started < 0.5


async def test_writes_arriving_together_share_one_statement_and_keep_their_own_results() -> None:
    table = FakeTable()
    writer = table.writer()
    items = [f"c{i}" for i in range(50)]
    results = await asyncio.gather(*(writer.write(item) for item in items))
    assert results == [f"id:{item}" for item in items]
    assert table.statements == [items]


async def test_writes_arriving_while_one_is_in_flight_leave_together_next() -> None:
    table = FakeTable()
    writer = table.writer()
    first = asyncio.create_task(writer.write("c0"))
    await asyncio.sleep(0.001)  # c0's statement is on its way
    rest = [f"c{i}" for i in range(1, 20)]
    results = await asyncio.gather(*(writer.write(item) for item in rest))
    assert await first == "id:c0"
    assert results == [f"id:{item}" for item in rest]
    assert table.statements == [["c0"], rest]


async def test_a_batch_never_exceeds_its_limit() -> None:
    table = FakeTable()
    writer = table.writer(max_batch=10)
    await asyncio.gather(*(writer.write(f"c{i}") for i in range(35)))
    assert [len(s) for s in table.statements] == [10, 10, 10, 5]


async def test_two_writes_with_one_key_never_share_a_statement_and_stay_in_order() -> None:
    table = FakeTable()
    writer = table.writer()
    await asyncio.gather(*(writer.write(item) for item in ["x", "a#1", "b", "a#2", "a#3"]))
    assert table.statements == [["x", "a#1", "b"], ["a#2"], ["a#3"]]


async def test_an_outage_fails_the_whole_batch_at_once() -> None:
    table = FakeTable(down=True)
    writer = table.writer()
    results = await asyncio.gather(
        *(writer.write(f"c{i}") for i in range(5)), return_exceptions=True
    )
    assert all(isinstance(r, StorageUnavailable) for r in results)
    # No item was retried alone: a database that is down is not asked five more times.
    assert table.statements == [["c0", "c1", "c2", "c3", "c4"]]


async def test_a_refused_row_fails_only_its_own_write() -> None:
    table = FakeTable(refuse={"c3"})
    writer = table.writer()
    results = await asyncio.gather(
        *(writer.write(f"c{i}") for i in range(6)), return_exceptions=True
    )
    assert [r if isinstance(r, str) else "error" for r in results] == [
        "id:c0",
        "id:c1",
        "id:c2",
        "error",
        "id:c4",
        "id:c5",
    ]
    assert isinstance(results[3], ValueError)
    assert table.statements == [[f"c{i}" for i in range(6)], *([f"c{i}"] for i in range(6))]


async def test_a_cancelled_writer_is_skipped_and_the_others_are_written() -> None:
    table = FakeTable()
    writer = table.writer()
    first = asyncio.create_task(writer.write("c0"))
    await asyncio.sleep(0)
    queued = [asyncio.create_task(writer.write(f"c{i}")) for i in range(1, 4)]
    await asyncio.sleep(0)
    queued[1].cancel()
    assert await first == "id:c0"
    assert await queued[0] == "id:c1"
    assert await queued[2] == "id:c3"
    with pytest.raises(asyncio.CancelledError):
        await queued[1]
    assert table.statements == [["c0"], ["c1", "c3"]]


async def test_writes_after_a_burst_start_a_new_flush() -> None:
    table = FakeTable()
    writer = table.writer()
    await asyncio.gather(*(writer.write(f"c{i}") for i in range(3)))
    assert await writer.write("later") == "id:later"
    assert table.statements[-1] == ["later"]


async def test_a_write_many_that_loses_a_result_fails_every_writer_instead_of_hanging() -> None:
    async def short(items: Sequence[str]) -> list[str]:
        return [f"id:{item}" for item in items][1:]

    async def one(item: str) -> str:
        return f"id:{item}"

    writer: GroupWriter[str, str] = GroupWriter(write_one=one, write_many=short, key=str)
    results = await asyncio.wait_for(
        asyncio.gather(*(writer.write(f"c{i}") for i in range(3)), return_exceptions=True), 5
    )
    assert all(isinstance(r, RuntimeError) for r in results)
