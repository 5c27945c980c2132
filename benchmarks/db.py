"""Fresh PostgreSQL databases for the benchmarks: migrated, with an on-duty roster
(`fresh_database`), or cloned from a kept template with bulk data (`cached_database`)."""

from __future__ import annotations

import hashlib
import logging
import os
import secrets
import subprocess
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg

from benchmarks.harness import REPO
from samad_ivr.storage.db import create_pool
from samad_ivr.storage.migrations import apply_migrations, migrations_dir, read_migrations
from samad_ivr.storage.roster import RosterRepository

log = logging.getLogger(__name__)

CENTER = "bench"
DESK = "Local/answer@samad-test-desk"
TEMPLATE_PREFIX = "samad_bench_tpl_"
TEMPLATE_LOCK_KEY = 0x5A4D42  # with the template's name: one build of each at a time


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


def _scratch_name() -> str:
    """`samad_bench_<tag>_<hex>`: the tag is the figure's run (`benchmarks.runner`), so
    the databases of a figure that was killed can be found and dropped."""
    tag = os.environ.get("SAMAD_BENCH_DB_TAG", "")
    return f"samad_bench_{tag + '_' if tag else ''}{secrets.token_hex(4)}"


async def drop_tagged(tag: str) -> int:
    """Drop the scratch databases of the run tagged `tag`; how many there were."""
    base = server_url()
    admin = await asyncpg.connect(base)
    try:
        rows = await admin.fetch(
            "SELECT datname FROM pg_database WHERE datname LIKE $1", f"samad_bench_{tag}_%"
        )
        for row in rows:
            await admin.execute(f'DROP DATABASE IF EXISTS "{row["datname"]}" WITH (FORCE)')
        return len(rows)
    finally:
        await admin.close()


def _with_database(url: str, name: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path="/" + name))


@asynccontextmanager
async def fresh_database(desk: str = DESK) -> AsyncIterator[str]:
    """A migrated database named samad_bench_<hex> with an official on duty now."""
    base = server_url()
    name = _scratch_name()
    admin = await asyncpg.connect(base)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    async with _dropped_after(base, name) as url:
        await _migrate_and_seed(url, desk)
        yield url


@asynccontextmanager
async def _dropped_after(base: str, name: str) -> AsyncIterator[str]:
    """The URL of database `name` on `base`'s server; the database is dropped on exit."""
    try:
        yield _with_database(base, name)
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


def template_name(label: str, key: str) -> str:
    """`samad_bench_tpl_<label>_<hash>`: the hash covers every migration and `key` (the
    data's recipe), so a changed schema or recipe builds a new template."""
    digest = hashlib.sha256(key.encode())
    for migration in read_migrations(migrations_dir()):
        digest.update(f"{migration.name}:{migration.sha256}\n".encode())
    return f"{TEMPLATE_PREFIX}{label}_{digest.hexdigest()[:12]}"


Build = Callable[[str], Awaitable[Any]]


@dataclass(frozen=True, slots=True)
class Template:
    """A figure's data set: `build(url)` fills a migrated database once (its return value,
    the seconds of each phase, is kept in the JSON); `key` is its recipe."""

    label: str
    key: str
    build: Build


async def ensure_template(template: Template) -> dict[str, Any] | None:
    """Build `template` unless the dev cluster has it; what the build returned, or None
    when it was there already.  Builds of different templates run side by side
    (`benchmarks.prepare`); two runs wanting the same one wait for each other."""
    base = server_url()
    name = template_name(template.label, template.key)
    admin = await asyncpg.connect(base)
    try:
        await admin.execute("SELECT pg_advisory_lock($1, hashtext($2))", TEMPLATE_LOCK_KEY, name)
        try:
            if await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
                return None
            return await _build_template(admin, base, template.label, name, template.build)
        finally:
            await admin.execute(
                "SELECT pg_advisory_unlock($1, hashtext($2))", TEMPLATE_LOCK_KEY, name
            )
    finally:
        await admin.close()


@asynccontextmanager
async def cached_database(
    label: str, key: str, build: Callable[[str], Awaitable[None]]
) -> AsyncIterator[str]:
    """A throwaway copy of a migrated template that `build(url)` filled once.

    The template stays on the dev cluster between runs (a million calls take about a
    minute to generate and seconds to copy); templates of older recipes for the same
    `label` are dropped when a new one is published."""
    await ensure_template(Template(label, key, build))
    base = server_url()
    template = template_name(label, key)
    name = _scratch_name()
    admin = await asyncpg.connect(base)
    try:
        # FILE_COPY: a plain copy of the files, much faster than WAL-logging a large template.
        await admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}" STRATEGY FILE_COPY')
    finally:
        await admin.close()
    async with _dropped_after(base, name) as url:
        yield url


async def _build_template(
    admin: asyncpg.Connection[asyncpg.Record],
    base: str,
    label: str,
    template: str,
    build: Build,
) -> dict[str, Any]:
    log.info("building template database %s (kept for later runs)", template)
    started = time.monotonic()
    building = template + "_building"
    await admin.execute(f'DROP DATABASE IF EXISTS "{building}" WITH (FORCE)')
    await admin.execute(f'CREATE DATABASE "{building}"')
    try:
        url = _with_database(base, building)
        conn = await asyncpg.connect(url)
        try:
            await apply_migrations(conn, migrations_dir())
        finally:
            await conn.close()
        built = await build(url)
    except BaseException:
        with suppress(asyncpg.PostgresError, OSError):
            await admin.execute(f'DROP DATABASE IF EXISTS "{building}" WITH (FORCE)')
        raise
    # The rename publishes a complete template; nobody connects to it afterwards, since
    # CREATE DATABASE ... TEMPLATE refuses a source with open connections.
    await admin.execute(f'ALTER DATABASE "{building}" RENAME TO "{template}"')
    await admin.execute(f'ALTER DATABASE "{template}" WITH ALLOW_CONNECTIONS false')
    prefix = f"{TEMPLATE_PREFIX}{label}_"
    for row in await admin.fetch("SELECT datname FROM pg_database"):
        stale = str(row["datname"])
        if stale != template and stale.startswith(prefix) and len(stale) == len(template):
            with suppress(asyncpg.PostgresError):  # a run still copying it keeps it
                await admin.execute(f'DROP DATABASE IF EXISTS "{stale}"')
    log.info("template %s built in %.0f s", template, time.monotonic() - started)
    return {**(built if isinstance(built, dict) else {}),
            "template_s": round(time.monotonic() - started, 1)}  # fmt: skip
