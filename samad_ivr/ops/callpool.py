"""The call path's own asyncpg pool, where nothing waits without a deadline.

asyncpg's `Pool.acquire()` waits forever by default, and `Pool.fetch()` & co. acquire
without a timeout.  `BoundedPool` makes the timeout the default for every acquire
(explicit or through the pool's query shortcuts) and therefore for every release, and
the pool's `command_timeout` bounds every statement.  asyncpg raises `TimeoutError`,
an `OSError`, which `storage.db.connection` turns into `StorageUnavailable`: to the call
path a slow database is a database that is down.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import asyncpg
import asyncpg.pool

from samad_ivr.storage.db import (
    DEFAULT_CONNECT_TIMEOUT,
    Pool,
    is_unavailable_error,
    keep_session,
    unavailable_as_storage_error,
)


class BoundedPool(asyncpg.pool.Pool):
    """A pool whose acquires (and so releases) default to `acquire_timeout` seconds, and
    which counts the outages it sees (a failed acquire, or one inside the block)."""

    def __init__(self, *args: Any, acquire_timeout: float, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.acquire_timeout = acquire_timeout
        self.unavailable_errors = 0

    def acquire(self, *, timeout: float | None = None) -> Any:
        context = super().acquire(timeout=self.acquire_timeout if timeout is None else timeout)
        return _Counted(self, context)


class _Counted:
    """asyncpg's acquire context, noting connection-level failures on the pool."""

    __slots__ = ("_context", "_pool")

    def __init__(self, pool: BoundedPool, context: Any) -> None:
        self._pool, self._context = pool, context

    async def __aenter__(self) -> Any:
        try:
            return await self._context.__aenter__()
        except BaseException as exc:
            self._note(exc)
            raise

    async def __aexit__(self, kind: object, exc: BaseException | None, tb: object) -> None:
        if exc is not None:
            self._note(exc)
        try:
            await self._context.__aexit__(kind, exc, tb)
        except BaseException as release_error:
            self._note(release_error)
            raise

    def __await__(self) -> Generator[Any, None, Any]:
        return self._acquire().__await__()

    async def _acquire(self) -> Any:
        try:
            return await self._context
        except BaseException as exc:
            self._note(exc)
            raise

    def _note(self, exc: BaseException) -> None:
        if is_unavailable_error(exc):
            self._pool.unavailable_errors += 1


async def create_call_pool(dsn: str, *, size: int, timeout: float) -> Pool:
    """The call path's pool: `size` connections, `timeout` per acquire and statement."""
    return await create_bounded_pool(
        dsn, size=size, acquire_timeout=timeout, command_timeout=timeout, name="samad-ivr-calls"
    )


async def create_bounded_pool(
    dsn: str, *, size: int, acquire_timeout: float, command_timeout: float, name: str
) -> Pool:
    """A `BoundedPool`; like `storage.db.create_pool`, it connects lazily (min_size=0)."""
    pool = BoundedPool(
        dsn,
        min_size=0,
        max_size=size,
        acquire_timeout=acquire_timeout,
        command_timeout=command_timeout,
        timeout=min(acquire_timeout, DEFAULT_CONNECT_TIMEOUT),
        server_settings={"application_name": name, "timezone": "UTC"},
        reset=keep_session,
        max_queries=50000,
        max_inactive_connection_lifetime=300.0,
        loop=None,
        connection_class=asyncpg.connection.Connection,
        record_class=asyncpg.Record,
    )
    with unavailable_as_storage_error():
        await pool
    return pool
