"""Forward-only SQL migration runner.

Files named `NNNN_description.sql` in one directory are applied in name order, each in
its own transaction, and recorded in `schema_migrations` with their SHA-256. A session
advisory lock held for the whole run makes concurrent runners (two service instances
starting together) safe: the second waits, then finds nothing left to do.
"""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass
from pathlib import Path

from samad_ivr.storage.db import AnyConnection, StorageError

logger = logging.getLogger(__name__)

# Arbitrary but fixed: every samad-ivr runner contends for this one key.
MIGRATION_LOCK_KEY = 0x5A4D_4144_0001  # "SMAD" 0001

_FILENAME_RE = re.compile(r"[0-9]{4}_[A-Za-z0-9_]+\.sql")

CREATE_TABLE_SQL = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    filename   text PRIMARY KEY,
    sha256     text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
)
"""
LOCK_SQL = "SELECT pg_advisory_lock($1)"
UNLOCK_SQL = "SELECT pg_advisory_unlock($1)"
APPLIED_SQL = "SELECT filename, sha256 FROM schema_migrations"
RECORD_SQL = "INSERT INTO schema_migrations (filename, sha256) VALUES ($1, $2)"


class MigrationError(StorageError):
    """The migrations directory disagrees with what the database has recorded."""


@dataclass(frozen=True, slots=True)
class MigrationFile:
    name: str
    sql: str
    sha256: str


def migrations_dir() -> Path:
    """The repository's `migrations/` directory."""
    return Path(__file__).resolve().parents[2] / "migrations"


def read_migrations(directory: Path) -> list[MigrationFile]:
    """Every `NNNN_*.sql` file in `directory`, in apply order."""
    if not directory.is_dir():
        raise MigrationError(f"migrations directory {directory} does not exist")
    files: list[MigrationFile] = []
    for path in sorted(directory.iterdir()):
        if not _FILENAME_RE.fullmatch(path.name):
            continue
        data = path.read_bytes()
        files.append(
            MigrationFile(path.name, data.decode("utf-8"), hashlib.sha256(data).hexdigest())
        )
    numbers = [f.name[:4] for f in files]
    duplicates = sorted({n for n in numbers if numbers.count(n) > 1})
    if duplicates:
        raise MigrationError(f"duplicate migration numbers: {', '.join(duplicates)}")
    return files


async def apply_migrations(conn: AnyConnection, directory: Path) -> list[str]:
    """Apply pending migrations from `directory`; return the file names applied.

    Raises `MigrationError` if an already-applied file has changed since; nothing is
    applied in that case.
    """
    files = read_migrations(directory)
    await conn.execute(LOCK_SQL, MIGRATION_LOCK_KEY)
    try:
        await conn.execute(CREATE_TABLE_SQL)
        applied = {str(r["filename"]): str(r["sha256"]) for r in await conn.fetch(APPLIED_SQL)}
        changed = [f.name for f in files if f.name in applied and applied[f.name] != f.sha256]
        if changed:
            raise MigrationError(
                "already-applied migrations were modified (write a new migration instead): "
                + ", ".join(changed)
            )
        done: list[str] = []
        for migration in files:
            if migration.name in applied:
                continue
            logger.info("applying migration %s", migration.name)
            async with conn.transaction():
                # No arguments: simple-query protocol, so a file may hold many statements.
                await conn.execute(migration.sql)
                await conn.execute(RECORD_SQL, migration.name, migration.sha256)
            done.append(migration.name)
        return done
    finally:
        # A lost connection already released the session lock; unlocking would only
        # mask the original error.
        if not conn.is_closed():
            try:
                await conn.execute(UNLOCK_SQL, MIGRATION_LOCK_KEY)
            except BaseException:
                # A pooled connection is not reset on release (storage.db.keep_session),
                # so one that may still hold the lock must not go back to the pool.
                conn.terminate()
                raise
