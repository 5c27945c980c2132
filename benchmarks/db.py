"""A fresh PostgreSQL database for the benchmarks: migrated, with an on-duty roster."""

from __future__ import annotations

import secrets
import subprocess
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit, urlunsplit

import asyncpg

from benchmarks.harness import REPO
from samad_ivr.storage.db import create_pool
from samad_ivr.storage.migrations import apply_migrations, migrations_dir
from samad_ivr.storage.roster import RosterRepository

CENTER = "bench"
DESK = "Local/answer@samad-test-desk"


def server_url() -> str:
    """The project's dev cluster (scripts/postgres-dev.sh start prints its URL)."""
    proc = subprocess.run(
        [str(REPO / "scripts/postgres-dev.sh"), "start"],
        capture_output=True,
        text=True,
        timeout=900,
        check=True,
    )
    return proc.stdout.strip().splitlines()[-1]


def _with_database(url: str, name: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path="/" + name))


@asynccontextmanager
async def fresh_database(desk: str = DESK) -> AsyncIterator[str]:
    """A migrated database named samad_bench_<hex> with an official on duty now."""
    base = server_url()
    name = f"samad_bench_{secrets.token_hex(4)}"
    admin = await asyncpg.connect(base)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    url = _with_database(base, name)
    try:
        await _migrate_and_seed(url, desk)
        yield url
    finally:
        admin = await asyncpg.connect(base)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()


async def _migrate_and_seed(url: str, desk: str) -> None:
    pool = await create_pool(url, min_size=1, max_size=2)
    try:
        async with pool.acquire() as conn:
            await apply_migrations(conn, migrations_dir())
        roster = RosterRepository(pool)
        center = await roster.ensure_center(CENTER, "مرکز سنجش", "samad-desk")
        await roster.set_weekend(center, frozenset())
        agency = await roster.ensure_agency(center, "استانداری")
        official = await roster.add_official(center, "مسئول", "مسئول کشیک", agency, desk)
        now = datetime.now(UTC)
        await roster.add_slot(center, official, now - timedelta(hours=1), now + timedelta(hours=6))
    finally:
        await pool.close()
