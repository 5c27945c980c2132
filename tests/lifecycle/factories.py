"""Rows the lifecycle tests share: centers, agencies, users and registered requests.

Plain async functions over a pool, so storage, web, job and benchmark code can all use
them.  Everything is inserted the way production inserts it (the request's own triggers
fill its center and its first history row).
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

from samad_ivr.storage.db import Pool

_counter = itertools.count(1)


async def make_center(pool: Pool, code: str = "hamedan", weekend: tuple[int, ...] = (4,)) -> int:
    """A center (its topics are seeded by the database); the same code returns the same id."""
    async with pool.acquire() as conn:
        return int(
            await conn.fetchval(
                """INSERT INTO centers (code, name, queue_name, weekend_days)
                   VALUES ($1, $1, 'samad-' || $1, $2)
                   ON CONFLICT (code) DO UPDATE SET weekend_days = EXCLUDED.weekend_days
                   RETURNING id""",
                code,
                list(weekend),
            )
        )


async def make_agency(
    pool: Pool, center_id: int, name: str | None = None, contact_mobile: str | None = None
) -> int:
    n = next(_counter)
    async with pool.acquire() as conn:
        return int(
            await conn.fetchval(
                "INSERT INTO agencies (center_id, name, contact_mobile) VALUES ($1, $2, $3)"
                " RETURNING id",
                center_id,
                name or f"اداره {n}",
                contact_mobile,
            )
        )


async def add_closed_day(pool: Pool, center_id: int, day: object, name: str) -> None:
    async with pool.acquire() as conn:
        await conn.execute(
            "INSERT INTO closed_days (center_id, day, name) VALUES ($1, $2, $3)",
            center_id,
            day,
            name,
        )


async def make_request(
    pool: Pool,
    center_id: int | None,
    *,
    caller: str = "+989181234567",
    started_at: datetime | None = None,
    summary: str | None = "درخواست شهروند",
    agency_id: int | None = None,
) -> int:
    """A registered request on an answered call of `center_id`; returns the request id."""
    n = next(_counter)
    start = started_at or datetime.now(UTC) - timedelta(minutes=n)
    async with pool.acquire() as conn, conn.transaction():
        call_id = await conn.fetchval(
            """INSERT INTO calls (uniqueid, center_id, caller_raw, caller_e164, started_at,
                                  answered_at, ended_at, disposition, route)
               VALUES ($1, $2, $3, $3, $4, $4, $5, 'answered', 'desk') RETURNING id""",
            f"1750000000.{n}",
            center_id,
            caller,
            start,
            start + timedelta(minutes=3),
        )
        return int(
            await conn.fetchval(
                """INSERT INTO requests (tracking_code, call_id, caller_e164, agency_id, summary)
                   VALUES ($1, $2, $3, $4, $5) RETURNING id""",
                f"{7000000000 + n:010d}",
                call_id,
                caller,
                agency_id,
                summary,
            )
        )
