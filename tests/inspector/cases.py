"""Requests in every status the inspectors' queues hold, made the way production makes
them: through `RequestLifecycle`, with a job's name as the actor of the automatic moves."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

from samad_ivr.domain.lifecycle import Action, Status
from samad_ivr.storage.db import Pool
from samad_ivr.storage.lifecycle import Actor, RequestLifecycle

# 2025-03-01 is a Saturday; 10:00 in Tehran.
NOW = datetime(2025, 3, 1, 6, 30, tzinfo=UTC)
DESK = Actor.named("desk_test")
AGENCY = Actor.named("agency_test")
JOB = Actor.named("deadline_job")
CITIZEN = Actor.named("citizen_ivr")

# How to reach each status from `registered`.
_PATHS: dict[Status, tuple[Action, ...]] = {
    Status.REGISTERED: (),
    Status.ASSIGNED: (Action.ASSIGN,),
    Status.ESCALATED: (Action.ASSIGN, Action.ESCALATE),
    Status.ANSWERED: (Action.ASSIGN, Action.ANSWER),
    Status.REOPENED: (Action.ASSIGN, Action.ANSWER, Action.REOPEN),
    Status.CLOSED: (Action.ASSIGN, Action.ANSWER, Action.ACCEPT),
}
_counter = itertools.count(1)
_ACTORS = {Action.ANSWER: AGENCY, Action.ESCALATE: JOB, Action.REOPEN: CITIZEN}


async def _registered(pool: Pool, center_id: int, at: datetime, summary: str) -> int:
    """A request registered at `at` after an answered desk call (the factories' own
    request is registered at the database's now, which a fixed clock cannot follow)."""
    n = next(_counter)
    async with pool.acquire() as conn, conn.transaction():
        call_id = await conn.fetchval(
            """INSERT INTO calls (uniqueid, center_id, caller_raw, caller_e164, started_at,
                                  answered_at, ended_at, disposition, route)
               VALUES ($1, $2, '09181234567', '+989181234567', $3, $3, $4, 'answered',
                       'desk') RETURNING id""",
            f"1760000000.{n}", center_id, at, at + timedelta(minutes=3),
        )  # fmt: skip
        return int(
            await conn.fetchval(
                """INSERT INTO requests (tracking_code, call_id, caller_e164, summary,
                                         created_at)
                   VALUES ($1, $2, '+989181234567', $3, $4) RETURNING id""",
                f"{8000000000 + n:010d}",
                call_id,
                summary,
                at,
            )
        )


async def make_case(
    pool: Pool,
    lifecycle: RequestLifecycle,
    center_id: int,
    agency_id: int,
    status: Status,
    *,
    assigned_days_ago: int = 1,
    topic: str = "housing",
    long_stop: bool = False,
    summary: str = "درخواست شهروند",
    now: datetime = NOW,
) -> int:
    """A request of `center_id` in `status`, assigned `assigned_days_ago` days before NOW
    (so with the default 10-day policy its deadline is NOW + 10 - that many days)."""
    at = now - timedelta(days=assigned_days_ago)
    request_id = await _registered(pool, center_id, at - timedelta(hours=1), summary)
    for action in _PATHS[status]:
        await lifecycle.act(
            request_id, action, actor=_ACTORS.get(action, DESK), now=at,
            agency_id=agency_id if action is Action.ASSIGN else None,
            topic=topic if action is Action.ASSIGN else None,
        )  # fmt: skip
    if long_stop:
        # What the long-stop job does; the queue only reads the column.
        async with pool.acquire() as conn:
            await conn.execute(
                "UPDATE requests SET long_stop_at = $2 WHERE id = $1", request_id, NOW
            )
    return request_id
