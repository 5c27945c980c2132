"""Many requests with deadlines in one statement: recomputation tests and timing by hand.

The rows look like what `RequestLifecycle.assign` leaves (status, agency, topic, deadline
columns), but their `due_on`/`remind_on` are whatever the caller says, so a test can
start from stale deadlines and let recomputation put them right.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from samad_ivr.storage.db import Pool

_batches = itertools.count(1)

INSERT_SQL = """
WITH input AS (
    SELECT * FROM unnest($3::date[], $4::int[], $5::text[], $6::text[], $7::date[], $8::date[])
        WITH ORDINALITY AS t (start, days, mode, status, due_on, remind_on, n)
),
new_calls AS (
    INSERT INTO calls (uniqueid, center_id, caller_raw, caller_e164, started_at, answered_at,
                       ended_at, disposition, route)
    SELECT $9 || '.' || n, $1, '+989181234567', '+989181234567', $10, $10, $10,
           'answered', 'desk'
    FROM input
    RETURNING id, uniqueid
)
INSERT INTO requests (tracking_code, call_id, caller_e164, agency_id, topic, status,
                      assigned_at, deadline_start, deadline_days, deadline_mode, due_on,
                      remind_on, long_stop_on)
SELECT lpad(($11::bigint + i.n)::text, 10, '0'), c.id, '+989181234567', $2, 'other',
       i.status, $10, i.start, i.days, i.mode, i.due_on, i.remind_on, i.start + i.days + 10
FROM input i JOIN new_calls c ON c.uniqueid = $9 || '.' || i.n
RETURNING id
"""


@dataclass(frozen=True, slots=True)
class Waiting:
    """One request to insert: its deadline's inputs and the stored (maybe stale) result."""

    start: date
    days: int
    mode: str = "calendar"
    status: str = "assigned"
    due_on: date | None = None  # default: start + days
    remind_on: date | None = None  # default: start + days - 3


async def insert_waiting(
    pool: Pool, center_id: int, agency_id: int, rows: list[Waiting], *, now: datetime | None = None
) -> list[int]:
    """Insert `rows` as assigned (or other status) requests of the center; their ids."""
    batch = next(_batches)
    at = now or datetime.now(UTC)
    args = (
        [r.start for r in rows],
        [r.days for r in rows],
        [r.mode for r in rows],
        [r.status for r in rows],
        [r.due_on or r.start + timedelta(days=r.days) for r in rows],
        [r.remind_on or r.start + timedelta(days=max(1, r.days - 3)) for r in rows],
    )
    async with pool.acquire() as conn:
        records = await conn.fetch(
            INSERT_SQL, center_id, agency_id, *args, f"bulk{center_id}x{batch}", at,
            8_000_000_000 + batch * 1_000_000,
        )  # fmt: skip
    return sorted(int(r["id"]) for r in records)
