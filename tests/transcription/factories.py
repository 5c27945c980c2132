"""Rows the transcription tests need: a center, a call with a finished recording."""

from __future__ import annotations

import itertools

from samad_ivr.storage.db import Pool

_counter = itertools.count(1)


async def add_center(pool: Pool) -> int:
    n = next(_counter)
    async with pool.acquire() as conn:
        center_id: int = await conn.fetchval(
            "INSERT INTO centers (code, name, queue_name) VALUES ($1, $2, $3) RETURNING id",
            f"tr{n}", f"مرکز {n}", f"q{n}",
        )  # fmt: skip
    return center_id


async def add_recording(pool: Pool, center_id: int, path: str, kind: str = "call") -> int:
    """A call with a finished recording; the migration's trigger queues it."""
    n = next(_counter)
    async with pool.acquire() as conn:
        call_id = await conn.fetchval(
            "INSERT INTO calls (uniqueid, center_id, caller_raw, started_at) "
            "VALUES ($1, $2, '09121234567', now()) RETURNING id",
            f"1800000000.{n}", center_id,
        )  # fmt: skip
        recording_id: int = await conn.fetchval(
            "INSERT INTO recordings (call_id, kind, path, finished_at) "
            "VALUES ($1, $2, $3, now()) RETURNING id",
            call_id, kind, path,
        )  # fmt: skip
    return recording_id
