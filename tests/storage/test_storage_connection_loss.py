"""A connection lost inside a transaction is an outage (StorageUnavailable), not a bug.

asyncpg's ``Transaction.__aexit__`` on a dead connection raises InterfaceError in place of
the loss; before it counted as an outage, a PostgreSQL restart during the SMS outbox
worker's claim stopped the worker for good (found by the soak, tests/soak)."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest

from samad_ivr.storage.db import Pool, StorageUnavailable, connection, is_unavailable_error


async def _query_in_a_transaction_while_the_backend_is_terminated(
    pool: Pool, database_url: str
) -> None:
    async def terminate(pid: int) -> None:
        await asyncio.sleep(0.3)  # the victim is inside its query by now
        killer = await asyncpg.connect(database_url)
        try:
            await killer.execute("SELECT pg_terminate_backend($1)", pid)
        finally:
            await killer.close()

    async with connection(pool) as conn, conn.transaction():
        pid = await conn.fetchval("SELECT pg_backend_pid()")
        killing = asyncio.create_task(terminate(pid))
        try:
            await conn.fetch("SELECT pg_sleep(5)")  # as a PostgreSQL restart does
        finally:
            await killing


async def test_a_backend_terminated_inside_a_transaction_is_reported_as_unavailable(
    db_pool: Pool, database_url: str
) -> None:
    with pytest.raises(StorageUnavailable):
        await _query_in_a_transaction_while_the_backend_is_terminated(db_pool, database_url)
    # The pool hands out a working connection afterwards.
    async with connection(db_pool) as conn:
        assert await conn.fetchval("SELECT 1") == 1


def test_an_interface_error_not_raised_over_a_lost_connection_is_still_a_bug() -> None:
    assert not is_unavailable_error(asyncpg.InterfaceError("cannot use a closed cursor"))
    over_a_bug = asyncpg.InterfaceError("raised while handling a bug")
    over_a_bug.__context__ = ValueError("a bug")
    assert not is_unavailable_error(over_a_bug)
    over_a_loss = asyncpg.InterfaceError("the underlying connection is closed")
    over_a_loss.__context__ = asyncpg.exceptions.ConnectionDoesNotExistError("closed")
    assert is_unavailable_error(over_a_loss)
