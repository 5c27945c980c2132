"""Group commit: writes that arrive together go to PostgreSQL as one statement.

Under a burst of calls (the desk opens at 09:00, a number is announced on television)
every call stores its start at once.  One statement per call cost a quarter of the
inbound route's CPU, most of it asyncpg's per-statement work rather than the row
(docs/performance.md, F1).  Here the first write goes out at once; writes that arrive
while it is in flight wait and leave together in the next statement.  Nothing waits on
a timer, so a lone call is not delayed, and a batch grows only as far as the load makes
it.

Each writer still gets its own result or its own error:

* an outage (`StorageUnavailable`) fails the whole batch at once, so nobody waits for N
  timeouts in a row;
* any other failure (a row the database refuses) sends the batch again one item at a
  time, so one bad row fails only its own writer;
* two writes with the same key never share a statement (PostgreSQL refuses to update one
  row twice in one INSERT ... ON CONFLICT); the later one goes in a later batch, so
  writes with one key still apply in the order they were made.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable, Sequence
from typing import Generic, TypeVar

from samad_ivr.storage.db import StorageUnavailable

__all__ = ["GroupWriter"]

T = TypeVar("T")
R = TypeVar("R")


class GroupWriter(Generic[T, R]):
    def __init__(
        self,
        *,
        write_one: Callable[[T], Awaitable[R]],
        write_many: Callable[[Sequence[T]], Awaitable[Sequence[R]]],
        key: Callable[[T], Hashable],
        max_batch: int = 200,
    ) -> None:
        self._write_one = write_one
        self._write_many = write_many
        self._key = key
        self._max_batch = max_batch
        self._queue: list[tuple[T, asyncio.Future[R]]] = []
        self._flusher: asyncio.Task[None] | None = None

    async def write(self, item: T) -> R:
        """Write ``item`` (alone or with others) and return its result."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[R] = loop.create_future()
        self._queue.append((item, future))
        if self._flusher is None:
            self._flusher = loop.create_task(self._flush())
        return await future

    async def _flush(self) -> None:
        try:
            while batch := self._take_batch():
                await self._write_batch(batch)
        finally:
            self._flusher = None
            # Only a cancelled flusher leaves writes behind: they must not wait forever.
            for _, future in self._queue:
                future.cancel()
            self._queue.clear()

    def _take_batch(self) -> list[tuple[T, asyncio.Future[R]]]:
        batch: list[tuple[T, asyncio.Future[R]]] = []
        keys: set[Hashable] = set()
        rest: list[tuple[T, asyncio.Future[R]]] = []
        for entry in self._queue:
            item, future = entry
            if future.done():
                continue  # its writer was cancelled before the write went out
            key = self._key(item)
            if key in keys or len(batch) >= self._max_batch:
                rest.append(entry)
            else:
                keys.add(key)
                batch.append(entry)
        self._queue = rest
        return batch

    async def _write_batch(self, batch: list[tuple[T, asyncio.Future[R]]]) -> None:
        if len(batch) == 1:
            await self._write_alone(*batch[0])
            return
        try:
            results = await self._write_many([item for item, _ in batch])
        except StorageUnavailable as exc:
            for _, future in batch:
                _fail(future, exc)
            return
        except Exception:
            # One row may be at fault: give every item its own statement and outcome.
            for item, future in batch:
                await self._write_alone(item, future)
            return
        except BaseException:
            for _, future in batch:
                future.cancel()
            raise
        if len(results) != len(batch):
            # A bug in write_many, not in the data: nobody may be left waiting for it.
            error = RuntimeError(f"{len(results)} results for a batch of {len(batch)}")
            for _, future in batch:
                _fail(future, error)
            return
        for (_, future), result in zip(batch, results, strict=True):
            _succeed(future, result)

    async def _write_alone(self, item: T, future: asyncio.Future[R]) -> None:
        try:
            result = await self._write_one(item)
        except Exception as exc:
            _fail(future, exc)
        except BaseException:
            future.cancel()
            raise
        else:
            _succeed(future, result)


# A future already done is a writer that stopped waiting (cancelled); its row is written
# all the same, like a statement that was already on its way.
def _succeed(future: asyncio.Future[R], result: R) -> None:
    if not future.done():
        future.set_result(result)


def _fail(future: asyncio.Future[R], exc: Exception) -> None:
    if not future.done():
        future.set_exception(exc)
