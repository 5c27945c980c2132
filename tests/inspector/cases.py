"""Requests in every status the inspectors' queues hold, made the way production makes
them: through `RequestLifecycle`, with a job's name as the actor of the automatic moves."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from lifecycle.factories import make_request

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
_ACTORS = {Action.ANSWER: AGENCY, Action.ESCALATE: JOB, Action.REOPEN: CITIZEN}


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
) -> int:
    """A request of `center_id` in `status`, assigned `assigned_days_ago` days before NOW
    (so with the default 10-day policy its deadline is NOW + 10 - that many days)."""
    at = NOW - timedelta(days=assigned_days_ago)
    request_id = await make_request(
        pool, center_id, started_at=at - timedelta(hours=1), summary=summary
    )
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
