"""The job schedule: what runs when.  Job bodies live in samad_ivr (they are plain
async callables); this module only decides their triggers."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

Job = Callable[[], Awaitable[object]]


@dataclass(frozen=True, slots=True)
class Jobs:
    replay_spool: Job  # spooled call reports -> database
    sweep_recordings: Job  # pending call recordings -> hashed and stored


def build_scheduler(jobs: Jobs) -> AsyncIOScheduler:
    """An AsyncIOScheduler with every job; the caller starts it inside the running loop."""
    scheduler = AsyncIOScheduler(timezone="UTC")
    # coalesce + max_instances=1: a slow round is never stacked with the next one.
    common = {"coalesce": True, "max_instances": 1, "misfire_grace_time": 30}
    scheduler.add_job(jobs.replay_spool, IntervalTrigger(seconds=15), id="replay_spool", **common)
    scheduler.add_job(
        jobs.sweep_recordings, IntervalTrigger(seconds=60), id="sweep_recordings", **common
    )
    return scheduler
