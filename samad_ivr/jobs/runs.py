"""Scheduled jobs run on the leader only, each run recorded in `job_runs` (0024).

The record says which instance ran which job when, and how it ended: it is how two
instances are seen to run every job once (and what /metrics can count).  Recording is
best effort: a job whose start cannot be written (the database is down) still runs, as
its own body decides what an outage means.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Awaitable, Callable

from samad_ivr.jobs.leader import Leader
from samad_ivr.storage.db import Pool, StorageUnavailable, connection
from scheduler.schedule import Jobs

log = logging.getLogger(__name__)

Job = Callable[[], Awaitable[object]]

START_SQL = "INSERT INTO job_runs (job, instance) VALUES ($1, $2) RETURNING id"
FINISH_SQL = "UPDATE job_runs SET finished_at = now(), error = $2 WHERE id = $1"
# Run records are kept a fortnight; the daily purge job drops older ones.
PRUNE_SQL = "DELETE FROM job_runs WHERE started_at < now() - interval '14 days'"
PRUNED_BY = "purge_accounts"

# The node's own files: every instance replays its own spool (files are locked while
# replayed, intake is idempotent), whoever leads.
PER_INSTANCE = frozenset({"replay_spool"})


class JobRuns:
    def __init__(self, pool: Pool, instance: str) -> None:
        self._pool = pool
        self.instance = instance

    async def start(self, job: str) -> int | None:
        try:
            async with connection(self._pool) as conn:
                run_id: int = await conn.fetchval(START_SQL, job, self.instance)
            return run_id
        except StorageUnavailable:
            return None

    async def prune(self) -> None:
        async with connection(self._pool) as conn:
            await conn.execute(PRUNE_SQL)

    async def finish(self, run_id: int | None, error: str | None) -> None:
        if run_id is None:
            return
        try:
            async with connection(self._pool) as conn:
                await conn.execute(FINISH_SQL, run_id, error)
        except StorageUnavailable as exc:
            log.warning("job run %s not closed: %s", run_id, exc)


def on_the_leader(jobs: Jobs, leader: Leader, runs: JobRuns) -> Jobs:
    """Every job wrapped: skipped unless this instance leads, recorded when it runs."""
    wrapped = {
        field.name: _wrap(field.name, getattr(jobs, field.name), leader, runs)
        for field in dataclasses.fields(jobs)
    }
    return Jobs(**wrapped)


def _wrap(name: str, job: Job, leader: Leader, runs: JobRuns) -> Job:
    async def run() -> None:
        if name not in PER_INSTANCE and not leader.is_leader:
            return
        run_id = await runs.start(name)
        try:
            await job()
            if name == PRUNED_BY:
                await runs.prune()
        except BaseException as exc:
            await runs.finish(run_id, f"{type(exc).__name__}: {exc}"[:500])
            raise
        await runs.finish(run_id, None)

    run.__name__ = name
    return run
