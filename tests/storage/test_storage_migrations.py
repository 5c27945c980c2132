from __future__ import annotations

import asyncio
from pathlib import Path

import asyncpg
import pytest

from samad_ivr.storage.db import Pool
from samad_ivr.storage.migrations import (
    MigrationError,
    apply_migrations,
    migrations_dir,
    read_migrations,
)


def test_migrations_dir_is_the_repository_migrations_folder() -> None:
    assert (migrations_dir() / "0001_core.sql").is_file()


async def test_migrations_apply_once_and_then_are_a_no_op(empty_database_url: str) -> None:
    expected = [m.name for m in read_migrations(migrations_dir())]
    conn = await asyncpg.connect(empty_database_url)
    try:
        assert await apply_migrations(conn, migrations_dir()) == expected
        assert await apply_migrations(conn, migrations_dir()) == []
        recorded = await conn.fetch("SELECT filename FROM schema_migrations ORDER BY filename")
        assert [r["filename"] for r in recorded] == expected
    finally:
        await conn.close()


async def test_template_database_already_has_every_migration(db_pool: Pool) -> None:
    async with db_pool.acquire() as conn:
        assert await apply_migrations(conn, migrations_dir()) == []


async def test_changed_applied_migration_is_refused_and_nothing_runs(
    empty_database_url: str, tmp_path: Path
) -> None:
    first = tmp_path / "0001_first.sql"
    first.write_text("CREATE TABLE t (x int);")
    conn = await asyncpg.connect(empty_database_url)
    try:
        assert await apply_migrations(conn, tmp_path) == ["0001_first.sql"]
        first.write_text("CREATE TABLE t (x int); INSERT INTO t VALUES (1);")
        (tmp_path / "0002_second.sql").write_text("CREATE TABLE u (y int);")

        with pytest.raises(MigrationError, match=r"0001_first\.sql"):
            await apply_migrations(conn, tmp_path)

        assert await conn.fetchval("SELECT count(*) FROM t") == 0
        assert await conn.fetchval("SELECT to_regclass('u')") is None
    finally:
        await conn.close()


async def test_failing_migration_rolls_back_and_is_not_recorded(
    empty_database_url: str, tmp_path: Path
) -> None:
    (tmp_path / "0001_ok.sql").write_text("CREATE TABLE ok (x int);")
    (tmp_path / "0002_bad.sql").write_text("CREATE TABLE half (x int); SELECT 1/0;")
    conn = await asyncpg.connect(empty_database_url)
    try:
        with pytest.raises(asyncpg.DivisionByZeroError):
            await apply_migrations(conn, tmp_path)
        assert await conn.fetchval("SELECT to_regclass('half')") is None
        recorded = await conn.fetch("SELECT filename FROM schema_migrations")
        assert [r["filename"] for r in recorded] == ["0001_ok.sql"]
        # the advisory lock was released: another session can run the migrations
        other = await asyncpg.connect(empty_database_url)
        try:
            (tmp_path / "0002_bad.sql").unlink()
            assert await asyncio.wait_for(apply_migrations(other, tmp_path), 5) == []
        finally:
            await other.close()
    finally:
        await conn.close()


async def test_concurrent_runners_apply_each_migration_once(
    empty_database_url: str, tmp_path: Path
) -> None:
    # Without the advisory lock both runners would try CREATE TABLE and one would fail.
    (tmp_path / "0001_slow.sql").write_text("CREATE TABLE slow (x int); SELECT pg_sleep(0.3);")
    conns = [await asyncpg.connect(empty_database_url) for _ in range(2)]
    try:
        results = await asyncio.gather(*(apply_migrations(c, tmp_path) for c in conns))
        assert sorted(results) == [[], ["0001_slow.sql"]]
    finally:
        for c in conns:
            await c.close()


def test_files_not_named_like_migrations_are_ignored_and_duplicates_refused(
    tmp_path: Path,
) -> None:
    (tmp_path / "0001_a.sql").write_text("SELECT 1;")
    (tmp_path / "README.md").write_text("notes")
    (tmp_path / "0002_draft.sql.bak").write_text("SELECT 2;")
    assert [m.name for m in read_migrations(tmp_path)] == ["0001_a.sql"]

    (tmp_path / "0001_b.sql").write_text("SELECT 3;")
    with pytest.raises(MigrationError, match="0001"):
        read_migrations(tmp_path)
