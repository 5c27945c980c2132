"""Operational settings (SAMAD_*): the call path's database budget and /metrics access."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


class OpsSettingsError(ValueError):
    """A SAMAD_* operational setting is out of range."""


@dataclass(frozen=True, slots=True)
class OpsSettings:
    # The call path's own pool (FastAGI routes, spool replay): never shared with the web.
    call_pool_size: int = 4
    # Every acquire and every statement on the call pool gives up after this long; past
    # it the call behaves exactly as with the database down (roster cache, spool).
    call_db_timeout: float = 1.0
    # How long the inbound route waits for a fresh roster before deciding from the
    # last good copy (the refresh goes on in the background).
    route_wait: float = 0.1
    # The consoles, SMS and jobs share the other pool.
    web_pool_size: int = 10
    # Web requests handled at once; past it a request waits `web_queue_wait` for a
    # slot, then gets 503 at once: a burst on the consoles cannot flood the event loop
    # the FastAGI sessions share.
    web_max_inflight: int = 64
    web_queue_wait: float = 0.2
    # /metrics: loopback clients always; others only with `Authorization: Bearer <token>`.
    metrics_token: str = ""
    # /healthz calls the recordings directory degraded below this much free space.
    recordings_min_free_mb: int = 200
    # ... and the spool degraded at this many waiting reports.
    spool_backlog_limit: int = 100

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> OpsSettings:
        def integer(name: str, default: int, low: int, high: int) -> int:
            text = env.get(f"SAMAD_{name}", "").strip() or str(default)
            if not text.isdigit() or not low <= int(text) <= high:
                raise OpsSettingsError(
                    f"SAMAD_{name} must be an integer in {low}..{high}, got {text!r}"
                )
            return int(text)

        return cls(
            call_pool_size=integer("CALL_DB_POOL_SIZE", 4, 1, 100),
            call_db_timeout=integer("CALL_DB_TIMEOUT_MS", 1000, 50, 30000) / 1000,
            route_wait=integer("ROUTE_WAIT_MS", 100, 10, 5000) / 1000,
            web_pool_size=integer("WEB_DB_POOL_SIZE", 10, 1, 500),
            web_max_inflight=integer("WEB_MAX_INFLIGHT", 64, 1, 100000),
            web_queue_wait=integer("WEB_QUEUE_WAIT_MS", 200, 0, 60000) / 1000,
            metrics_token=env.get("SAMAD_METRICS_TOKEN", "").strip(),
            recordings_min_free_mb=integer("RECORDINGS_MIN_FREE_MB", 200, 0, 10**7),
            spool_backlog_limit=integer("SPOOL_BACKLOG_LIMIT", 100, 1, 10**7),
        )
