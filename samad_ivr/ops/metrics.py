"""Prometheus metrics of one Service, in a registry of its own (never the global one).

Two kinds:
- counted in this process as things happen: FastAGI sessions by route and result, route
  latency, sessions in flight, database outages per pool, job runs and failures;
- read at scrape time (`refresh`, bounded): what the database and the disk hold — calls
  of the last 24 hours by route and outcome, their queue waits, SMS by state, recordings
  not yet finalised, the spool's backlog.  Every instance against one database reports
  the same values there: aggregate them with max(), not sum().
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import logging
import time
from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from samad_ivr.agi.protocol import AgiHangup
from samad_ivr.calls.spool import Spool
from samad_ivr.storage.db import Pool, StorageUnavailable, connection
from scheduler.schedule import Jobs

log = logging.getLogger(__name__)

CALLS_24H_SQL = """
SELECT COALESCE(route, 'none') AS route, COALESCE(disposition, 'in_progress') AS outcome,
       count(*) AS n
FROM calls WHERE started_at >= now() - interval '24 hours' GROUP BY 1, 2
"""
QUEUE_WAIT_24H_SQL = """
SELECT percentile_cont(ARRAY[0.5, 0.9, 0.99]) WITHIN GROUP (ORDER BY queue_wait_seconds)
FROM calls WHERE started_at >= now() - interval '24 hours' AND queue_wait_seconds IS NOT NULL
"""
SMS_24H_SQL = """
SELECT status, count(*) AS n FROM sms_outbox
WHERE created_at >= now() - interval '24 hours' OR status = 'queued' GROUP BY status
"""
RECORDINGS_PENDING_SQL = "SELECT count(*) FROM recordings WHERE finished_at IS NULL"

ROUTE_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 15.0, 60.0, 600.0)
QUANTILES = ("0.5", "0.9", "0.99")
SMS_STATES = ("queued", "submitted", "delivered", "undelivered", "failed", "expired", "blocked")

Handler = Callable[[Any], Awaitable[None]]


class Metrics:
    def __init__(self, *, pools: Mapping[str, Pool], spool_dir: Path) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.agi_sessions = Counter(
            "samad_agi_sessions", "FastAGI sessions by route and result", ["route", "result"],
            registry=r,
        )  # fmt: skip
        self.agi_active = Gauge("samad_agi_sessions_active", "FastAGI routes running", registry=r)
        self.route_seconds = Histogram(
            "samad_agi_route_seconds", "Time a FastAGI route took (the caller waits for it)",
            ["route"], buckets=ROUTE_BUCKETS, registry=r,
        )  # fmt: skip
        self.job_runs = Counter("samad_job_runs", "Scheduled job runs", ["job"], registry=r)
        self.job_failures = Counter(
            "samad_job_failures", "Scheduled job runs that raised", ["job"], registry=r
        )
        self.snapshot = _Snapshot(pools, spool_dir)
        r.register(self.snapshot)

    def instrument_routes(self, routes: Mapping[str, Handler]) -> dict[str, Handler]:
        return {name: self._timed(name, handler) for name, handler in routes.items()}

    def _timed(self, route: str, handler: Handler) -> Handler:
        @functools.wraps(handler)
        async def run(channel: Any) -> None:
            started = time.perf_counter()
            result = "error"
            self.agi_active.inc()
            try:
                await handler(channel)
                result = "ok"
            except AgiHangup:
                result = "hangup"
                raise
            except asyncio.CancelledError:
                result = "cancelled"
                raise
            finally:
                self.agi_active.dec()
                self.route_seconds.labels(route).observe(time.perf_counter() - started)
                self.agi_sessions.labels(route, result).inc()

        return run

    def job(self, name: str, job: Callable[[], Awaitable[None]]) -> Callable[[], Awaitable[None]]:
        @functools.wraps(job)
        async def run() -> None:
            self.job_runs.labels(name).inc()
            try:
                await job()
            except Exception:
                self.job_failures.labels(name).inc()
                raise

        return run

    async def render(self, pool: Pool, timeout: float) -> bytes:
        """The text exposition, after reading the database and disk figures (bounded)."""
        await self.snapshot.refresh(pool, timeout)
        return generate_latest(self.registry)


class _Snapshot(Collector):
    """Figures read at scrape time; `collect` only reports the last refresh."""

    def __init__(self, pools: Mapping[str, Pool], spool_dir: Path) -> None:
        self._pools = pools
        self._spool_dir = spool_dir
        self.calls: list[tuple[str, str, int]] = []
        self.queue_wait: list[float | None] = [None, None, None]
        self.sms: dict[str, int] = {}
        self.recordings_pending: int | None = None
        self.spool_backlog = 0
        self.database_up = False

    async def refresh(self, pool: Pool, timeout: float) -> None:
        self.spool_backlog = await asyncio.to_thread(_count_spooled, self._spool_dir)
        try:
            async with asyncio.timeout(timeout), connection(pool) as conn:
                calls = await conn.fetch(CALLS_24H_SQL)
                waits = await conn.fetchval(QUEUE_WAIT_24H_SQL)
                sms = await conn.fetch(SMS_24H_SQL)
                pending = await conn.fetchval(RECORDINGS_PENDING_SQL)
        except (StorageUnavailable, TimeoutError) as exc:
            log.warning("metrics: database figures not read (%s)", exc)
            self.database_up = False
            return
        self.calls = [(row["route"], row["outcome"], row["n"]) for row in calls]
        self.queue_wait = [float(w) if w is not None else None for w in (waits or [None] * 3)]
        self.sms = {row["status"]: row["n"] for row in sms}
        self.recordings_pending = int(pending)
        self.database_up = True

    def collect(self) -> Iterable[Metric]:
        return list(self._families())

    def _families(self) -> Iterator[Metric]:
        up = GaugeMetricFamily("samad_database_up", "The last scrape could read the database")
        up.add_metric([], 1.0 if self.database_up else 0.0)
        yield up
        errors = GaugeMetricFamily(
            "samad_database_unavailable_errors",
            "Outages (refused, timed out, lost) seen on each pool since start",
            labels=["pool"],
        )
        for name, pool in self._pools.items():
            errors.add_metric([name], float(getattr(pool, "unavailable_errors", 0)))
        yield errors
        calls = GaugeMetricFamily(
            "samad_calls_24h", "Calls started in the last 24 hours", labels=["route", "outcome"]
        )
        for route, outcome, n in self.calls:
            calls.add_metric([route, outcome], float(n))
        yield calls
        wait = GaugeMetricFamily(
            "samad_queue_wait_seconds_24h", "Queue wait of the last 24 hours", labels=["quantile"]
        )
        for quantile, value in zip(QUANTILES, self.queue_wait, strict=True):
            if value is not None:
                wait.add_metric([quantile], value)
        yield wait
        sms = GaugeMetricFamily(
            "samad_sms", "SMS created in the last 24 hours (and all queued) by state",
            labels=["state"],
        )  # fmt: skip
        for state in SMS_STATES:
            sms.add_metric([state], float(self.sms.get(state, 0)))
        yield sms
        if self.recordings_pending is not None:
            pending = GaugeMetricFamily(
                "samad_recordings_pending", "Recordings not yet finalised (hashed and stored)"
            )
            pending.add_metric([], float(self.recordings_pending))
            yield pending
        spool = GaugeMetricFamily("samad_spool_backlog", "Call reports waiting in the spool")
        spool.add_metric([], float(self.spool_backlog))
        yield spool


def _count_spooled(directory: Path) -> int:
    try:
        return len(Spool(directory).pending())
    except OSError:
        return 0


def counted_jobs(metrics: Metrics, jobs: Jobs) -> Jobs:
    """Every scheduled job counted (runs, failures) under its field name."""
    counted = {f.name: metrics.job(f.name, getattr(jobs, f.name)) for f in dataclasses.fields(jobs)}
    return dataclasses.replace(jobs, **counted)
