"""Bulk loading for the L1 and W2 data sets: the tricks that make millions of rows cheap.

A template database is filled once and then copied for every run (`benchmarks.db`), so
its build can use what a production load must not: triggers and foreign-key checks off
(`session_replication_role = replica`; the generators write every column the triggers
would have written), secondary indexes dropped before the load and rebuilt afterwards
from their own definitions (a sorted build is several times faster than ten million
inserts into each index), and a large `maintenance_work_mem` for those builds.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import asyncpg

log = logging.getLogger(__name__)

TEHRAN = ZoneInfo("Asia/Tehran")

# Indexes that back a constraint (primary keys, UNIQUE) stay: the generators write ids in
# ascending order, so those are cheap appends, and dropping them would mean dropping
# every foreign key that points at them.
SECONDARY_INDEXES = """
SELECT i.indexrelid::regclass::text AS name, pg_get_indexdef(i.indexrelid) AS definition
FROM pg_index i
JOIN pg_class t ON t.oid = i.indrelid
WHERE t.relname = ANY($1::text[]) AND t.relnamespace = current_schema()::regnamespace
  AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
ORDER BY t.relname, name
"""


@dataclass(frozen=True, slots=True)
class Index:
    name: str
    definition: str


async def fast_session(conn: asyncpg.Connection[asyncpg.Record]) -> None:
    """Session settings for a one-off bulk load into a database nobody else uses."""
    await conn.execute("SET session_replication_role = replica")
    await conn.execute("SET maintenance_work_mem = '1GB'")
    await conn.execute("SET max_parallel_maintenance_workers = 2")
    await conn.execute("SET work_mem = '256MB'")  # the generators sort millions of rows
    # A crash mid-build loses the build, which is thrown away anyway (`_building`).
    await conn.execute("SET synchronous_commit = off")


async def drop_secondary_indexes(
    conn: asyncpg.Connection[asyncpg.Record], tables: Sequence[str]
) -> list[Index]:
    """Drop the non-constraint indexes of `tables`; their definitions, to rebuild them."""
    rows = await conn.fetch(SECONDARY_INDEXES, list(tables))
    indexes = [Index(str(r["name"]), str(r["definition"])) for r in rows]
    for index in indexes:
        await conn.execute(f"DROP INDEX {index.name}")
    return indexes


async def rebuild_indexes(
    conn: asyncpg.Connection[asyncpg.Record], indexes: Sequence[Index]
) -> None:
    for n, index in enumerate(indexes, 1):
        started = time.monotonic()
        await conn.execute(index.definition)
        log.info(
            "  index %d/%d %s (%.0f s)", n, len(indexes), index.name, time.monotonic() - started
        )


async def chunked(
    conn: asyncpg.Connection[asyncpg.Record],
    what: str,
    sql: str,
    total: int,
    chunk: int,
    *args: object,
) -> None:
    """Run `sql` with ($1, $2) = each [lo, hi] slice of 1..total, logging progress: a
    ten-million-row load is minutes, and a silent minute looks like a hang."""
    started = time.monotonic()
    for lo in range(1, total + 1, chunk):
        hi = min(total, lo + chunk - 1)
        await conn.execute(sql, lo, hi, *args)
        elapsed = time.monotonic() - started
        log.info("  %s: %d/%d (%.0f s)", what, hi, total, elapsed)


async def chunked_parallel(
    url: str, what: str, sql: str, total: int, chunk: int, workers: int, *args: object
) -> None:
    """`chunked` over `workers` connections (each with `fast_session`) taking the slices
    in turn: a bulk INSERT ... SELECT is one backend, one core; two use both.  Each slice
    is still written by one backend in id order, so a page holds consecutive ids."""
    slices = [(lo, min(total, lo + chunk - 1)) for lo in range(1, total + 1, chunk)]
    queue = list(reversed(slices))
    started = time.monotonic()

    async def worker() -> None:
        conn = await asyncpg.connect(url, command_timeout=None)
        try:
            await fast_session(conn)
            while queue:
                lo, hi = queue.pop()
                await conn.execute(sql, lo, hi, *args)
                log.info("  %s: %d-%d of %d (%.0f s)", what, lo, hi, total,
                         time.monotonic() - started)  # fmt: skip
        finally:
            await conn.close()

    await asyncio.gather(*(worker() for _ in range(max(1, min(workers, len(slices))))))


PROVINCES = """
INSERT INTO centers (code, name, queue_name)
SELECT 'p' || n, 'استان ' || n, 'samad-p' || n FROM generate_series(1, $1) AS n
"""
# Agencies with a contact mobile (the deadline job texts it), then officials.  The first
# agency of a center is its busiest one (the generators skew towards low numbers).
AGENCIES = """
INSERT INTO agencies (center_id, name, contact_mobile)
SELECT c.id, 'دستگاه ' || a, '+98918' || lpad((c.id * 100 + a)::text, 7, '0')
FROM centers c CROSS JOIN generate_series(1, $1) AS a ORDER BY c.id, a
"""
OFFICIALS = """
INSERT INTO officials (center_id, name, title, agency_id, desk_endpoint)
SELECT c.id, 'مسئول ' || o, 'مدیرکل', (SELECT min(id) FROM agencies a WHERE a.center_id = c.id)
       + o - 1, 'PJSIP/desk-' || c.id || '-' || o
FROM centers c CROSS JOIN generate_series(1, $1) AS o ORDER BY c.id, o
"""


async def seed_provinces(
    conn: asyncpg.Connection[asyncpg.Record], centers: int, agencies: int, officials: int
) -> None:
    """`centers` provinces (topics seeded by 0009's trigger, so run before `fast_session`)
    with `agencies` agencies and `officials` officials each."""
    await conn.execute(PROVINCES, centers)
    await conn.execute(AGENCIES, agencies)
    await conn.execute(OFFICIALS, officials)


COLUMN_SQL = """
SELECT EXISTS (SELECT 1 FROM information_schema.columns
               WHERE table_schema = current_schema() AND table_name = $1 AND column_name = $2)
"""


async def with_call_start(conn: asyncpg.Connection[asyncpg.Record], sql: str, start: str) -> str:
    """`sql` (an INSERT INTO requests with `{call_start_column}`/`{call_start_value}`) also
    writing `requests.call_started_at` (the call's start, `start`) where the schema has
    it: its trigger, which would copy it from the call, is off during the load."""
    if await conn.fetchval(COLUMN_SQL, "requests", "call_started_at"):
        return sql.format(call_start_column=", call_started_at", call_start_value=f", {start}")
    return sql.format(call_start_column="", call_start_value="")


async def timed(
    conn: asyncpg.Connection[asyncpg.Record], what: str, sql: str, *args: object
) -> str:
    started = time.monotonic()
    status = await conn.execute(sql, *args)
    log.info("  %s: %s (%.0f s)", what, status, time.monotonic() - started)
    return str(status)
