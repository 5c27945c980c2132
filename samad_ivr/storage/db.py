"""asyncpg pool creation and translation of connection failures.

Other layers catch `StorageUnavailable` to degrade (e.g. spool the request to disk and
keep the call alive); they never see asyncpg's own exception types for outages.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterator
from datetime import datetime
from typing import TypeAlias

import asyncpg

# asyncpg's classes are generic only in the stubs, so the aliases are strings.
Pool: TypeAlias = "asyncpg.Pool[asyncpg.Record]"
Connection: TypeAlias = "asyncpg.Connection[asyncpg.Record]"
PoolConnection: TypeAlias = "asyncpg.pool.PoolConnectionProxy[asyncpg.Record]"
AnyConnection: TypeAlias = "Connection | PoolConnection"

DEFAULT_COMMAND_TIMEOUT = 10.0
DEFAULT_CONNECT_TIMEOUT = 5.0

# Failures that mean "the database cannot be reached or cannot serve us right now", as
# opposed to a bug or a constraint violation.
_UNAVAILABLE_ERRORS: tuple[type[BaseException], ...] = (
    OSError,  # refused, reset, unreachable; also TimeoutError (connect/command timeout)
    asyncpg.PostgresConnectionError,  # class 08, incl. connection lost mid-query
    asyncpg.exceptions.CannotConnectNowError,  # starting up / shutting down
    asyncpg.exceptions.AdminShutdownError,
    asyncpg.exceptions.CrashShutdownError,
    asyncpg.exceptions.InsufficientResourcesError,  # too many connections, disk full
)

# What is_unavailable_error has to look at more closely.
_MAYBE_UNAVAILABLE: tuple[type[BaseException], ...] = (*_UNAVAILABLE_ERRORS, asyncpg.InterfaceError)


class StorageError(Exception):
    """Base of every error the storage layer raises on purpose."""


class StorageUnavailable(StorageError):
    """The database cannot be reached or cannot serve requests right now."""


def is_unavailable_error(exc: BaseException) -> bool:
    """True when `exc` is a connection-level failure rather than a query error.

    asyncpg's client-side InterfaceError counts when it was raised over such a failure:
    ``async with conn.transaction()`` whose connection died mid-query raises "cannot call
    Transaction.__aexit__(): the underlying connection is closed" in place of the loss
    (found by the soak: a PostgreSQL restart stopped the SMS outbox worker for good)."""
    if isinstance(exc, _UNAVAILABLE_ERRORS):
        return True
    if isinstance(exc, asyncpg.InterfaceError):
        cause = exc.__context__
        for _ in range(8):  # bounded: a context chain can be long, never a cycle here
            if cause is None:
                break
            if isinstance(cause, _UNAVAILABLE_ERRORS):
                return True
            cause = cause.__context__
    return False


@contextlib.contextmanager
def unavailable_as_storage_error() -> Iterator[None]:
    """Re-raise connection failures inside the block as `StorageUnavailable`."""
    try:
        yield
    except _MAYBE_UNAVAILABLE as exc:
        if not is_unavailable_error(exc):
            raise
        raise StorageUnavailable(f"database unavailable: {type(exc).__name__}: {exc}") from exc


@contextlib.asynccontextmanager
async def connection(pool: Pool) -> AsyncIterator[PoolConnection]:
    """Acquire a pooled connection; outages inside the block become `StorageUnavailable`."""
    with unavailable_as_storage_error():
        async with pool.acquire() as conn:
            yield conn


async def keep_session(_conn: Connection) -> None:
    """The pool's reset step: nothing beyond what asyncpg always does on release (roll
    back an open transaction, drop listener callbacks).

    asyncpg's default reset sends `SELECT pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *;
    RESET ALL` on every release: one more round trip per acquire, which cost the inbound
    route and the search API several percent of their time.  It is not needed because
    pooled connections never change session state: no session `SET` (use `SET LOCAL`
    inside a transaction), no `LISTEN` (use a dedicated connection), no cursors outside a
    transaction, and the one session advisory lock (migrations) is released in a
    `finally` that terminates the connection if it cannot be.
    `tests/storage/test_storage_pool.py` checks the code for the first three.
    """


async def create_pool(
    dsn: str,
    *,
    min_size: int = 1,
    max_size: int = 10,
    command_timeout: float = DEFAULT_COMMAND_TIMEOUT,
    connect_timeout: float = DEFAULT_CONNECT_TIMEOUT,
) -> Pool:
    """Create the service's pool; raises `StorageUnavailable` if the server is unreachable."""
    with unavailable_as_storage_error():
        return await asyncpg.create_pool(
            dsn,
            min_size=min_size,
            max_size=max_size,
            command_timeout=command_timeout,
            timeout=connect_timeout,
            # The domain computes local times itself; the session stays in UTC so that
            # SQL-side date arithmetic never depends on the server's configuration.
            server_settings={"application_name": "samad-ivr", "timezone": "UTC"},
            reset=keep_session,
        )


def require_aware(value: datetime, name: str) -> datetime:
    """Reject naive datetimes: asyncpg would silently read them as local time."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got naive {value!r}")
    return value
