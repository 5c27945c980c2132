"""The call path's own asyncpg pool, where nothing waits without a deadline.

asyncpg's `Pool.acquire()` waits forever by default, and `Pool.fetch()` & co. acquire
without a timeout.  `BoundedPool` makes the timeout the default for every acquire
(explicit or through the pool's query shortcuts) and therefore for every release, and
the pool's `command_timeout` bounds every statement.  asyncpg raises `TimeoutError`,
an `OSError`, which `storage.db.connection` turns into `StorageUnavailable`: to the call
path a slow database is a database that is down.
"""

from __future__ import annotations

from typing import Any

import asyncpg
import asyncpg.pool

from samad_ivr.storage.db import (
    DEFAULT_CONNECT_TIMEOUT,
    Pool,
    keep_session,
    unavailable_as_storage_error,
)


class BoundedPool(asyncpg.pool.Pool):
    """A pool whose acquires (and so releases) default to `acquire_timeout` seconds."""

    def __init__(self, *args: Any, acquire_timeout: float, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.acquire_timeout = acquire_timeout

    def acquire(self, *, timeout: float | None = None) -> Any:
        return super().acquire(timeout=self.acquire_timeout if timeout is None else timeout)


async def create_call_pool(dsn: str, *, size: int, timeout: float) -> Pool:
    """The call path's pool: `size` connections, `timeout` per acquire and statement."""
    pool = BoundedPool(
        dsn,
        min_size=0,
        max_size=size,
        acquire_timeout=timeout,
        command_timeout=timeout,
        timeout=min(timeout, DEFAULT_CONNECT_TIMEOUT),
        server_settings={"application_name": "samad-ivr-calls", "timezone": "UTC"},
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
