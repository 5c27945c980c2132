"""Job: one round of the deadline jobs, in the order that keeps their notices sensible.

Escalation first, then the long stop (so a request past both is escalated before it is
reported), then the reminders (which send nothing outside daytime at the center, and
nothing for a request already past its deadline).  Each step is idempotent on its own,
so a round that fails half-way is simply run again.  The scheduler runs the reminders
as a job of their own, at daytime hours only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time

from samad_ivr.jobs.deadline_reminders import DAYTIME, remind_agencies
from samad_ivr.jobs.escalation import escalate_overdue_requests
from samad_ivr.jobs.long_stop import mark_long_stops
from samad_ivr.storage.db import Pool

__all__ = ["DeadlineRound", "run_deadline_jobs"]


@dataclass(frozen=True, slots=True)
class DeadlineRound:
    escalated: int
    long_stops: int
    reminded: int


async def run_deadline_jobs(
    pool: Pool, now: datetime, *, remind: bool = True, daytime: tuple[time, time] = DAYTIME
) -> DeadlineRound:
    """Escalate, mark long stops and (unless `remind` is false) remind, as of `now`."""
    escalated = await escalate_overdue_requests(pool, now)
    long_stops = await mark_long_stops(pool, now)
    reminded = await remind_agencies(pool, now, daytime=daytime) if remind else 0
    return DeadlineRound(escalated, long_stops, reminded)
