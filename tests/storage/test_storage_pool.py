"""Pooled connections go back without asyncpg's reset query (storage.db.keep_session),
which is only safe while no code leaves session state on them."""

from __future__ import annotations

import re
from pathlib import Path

from samad_ivr.storage.db import Pool

PACKAGE = Path(__file__).resolve().parents[2] / "samad_ivr"
# SQL here is written in capitals: a session-level SET (SET LOCAL is transaction-scoped),
# LISTEN, a cursor that outlives its transaction, or a session advisory lock outside the
# migration runner.
SESSION_STATE = re.compile(
    r"""["']\s*(SET\s+(?!LOCAL\b|VARIABLE\b)|LISTEN\s)|add_listener\(|WITH HOLD"""
    r"""|set_config\([^)]*false"""
)


def test_no_code_leaves_session_state_on_a_pooled_connection() -> None:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        text = path.read_text()
        found += [f"{path.name}: {m.group(0)!r}" for m in SESSION_STATE.finditer(text)]
        if path.name != "migrations.py" and "pg_advisory_lock(" in text:
            found.append(f"{path.name}: session advisory lock")
    assert found == []


async def test_a_released_connection_comes_back_without_an_open_transaction(
    db_pool: Pool,
) -> None:
    async with db_pool.acquire() as conn:
        await conn.execute("CREATE TEMP TABLE IF NOT EXISTS t (x int)")
        transaction = conn.transaction()
        await transaction.start()
        await conn.execute("INSERT INTO t VALUES (1)")
        await transaction.rollback()
    async with db_pool.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM pg_temp.t") == 0
        assert await conn.fetchval("SHOW timezone") == "UTC"
