"""/metrics and the real /healthz, added to the web app by `ops_feature`.

Who may read them:
- /metrics: clients on loopback that did not come through a proxy (no Forwarded /
  X-Forwarded-For header: a reverse proxy on the same host would otherwise make every
  client look local), or anyone sending `Authorization: Bearer $SAMAD_METRICS_TOKEN`.
  Everyone else gets 403; with no token set, only loopback can scrape.
- /healthz: anyone gets the status (200 ok / 503 degraded) and which checks fail; the
  figures and error details only go to the same readers as /metrics.
"""

from __future__ import annotations

import asyncio
import hmac
import ipaddress
import logging
from typing import Any

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST

from samad_ivr.ops.health import HealthChecker
from samad_ivr.ops.metrics import Metrics
from samad_ivr.storage.db import Pool, StorageUnavailable
from samad_ivr.web.app import HEALTH, Feature

log = logging.getLogger(__name__)
BUSY = "سامانه در این لحظه شلوغ است. چند ثانیه دیگر دوباره تلاش کنید."
UNAVAILABLE = "سامانه موقتاً در دسترس نیست. چند دقیقه دیگر دوباره تلاش کنید."
_PROXY_HEADERS = ("Forwarded", "X-Forwarded-For", "X-Real-IP")
_METRICS_TIMEOUT = 2.0  # the database part of a scrape; past it the figures are stale


def privileged(request: web.Request, token: str) -> bool:
    """A reader of the figures: local and direct, or holding the metrics token."""
    header = request.headers.get("Authorization", "")
    if token and header.startswith("Bearer "):
        return hmac.compare_digest(header[7:].encode(), token.encode())
    if any(name in request.headers for name in _PROXY_HEADERS):
        return False
    try:
        return ipaddress.ip_address(request.remote or "").is_loopback
    except ValueError:
        return False  # a unix socket or no peer address


def shed_load(max_inflight: int, queue_wait: float) -> Any:
    """Outermost middleware: at most `max_inflight` requests in the handlers; the rest
    wait `queue_wait` for a slot, then get 503 + Retry-After.  A page whose database
    is unavailable (pool exhausted, server down) is a 503 too, never a 500."""
    slots = asyncio.Semaphore(max_inflight)

    @web.middleware
    async def middleware(request: web.Request, handler: Any) -> web.StreamResponse:
        if request.path in ("/healthz", "/metrics"):
            response: web.StreamResponse = await handler(request)
            return response
        try:
            async with asyncio.timeout(queue_wait):
                await slots.acquire()
        except TimeoutError:
            return _unavailable(BUSY)
        try:
            response = await handler(request)
            return response
        except StorageUnavailable as exc:
            log.warning("%s %s: database unavailable (%s)", request.method, request.path, exc)
            return _unavailable(UNAVAILABLE)
        finally:
            slots.release()

    return middleware


def _unavailable(text: str) -> web.Response:
    return web.Response(
        status=503, text=text, content_type="text/plain", headers={"Retry-After": "5"}
    )


def ops_feature(
    *, metrics: Metrics, health: HealthChecker, pool: Pool, token: str,
    max_inflight: int = 64, queue_wait: float = 0.2,
) -> Feature:  # fmt: skip
    async def metrics_view(request: web.Request) -> web.Response:
        if not privileged(request, token):
            raise web.HTTPForbidden(text="metrics: loopback or the metrics token only\n")
        body = await metrics.render(pool, _METRICS_TIMEOUT)
        response = web.Response(body=body)
        response.headers["Content-Type"] = CONTENT_TYPE_LATEST
        response.headers["Cache-Control"] = "no-store"
        return response

    async def health_view(request: web.Request) -> web.Response:
        report = await health.check()
        body = report.as_json(details=privileged(request, token))
        response = web.json_response(body, status=200 if report.ok else 503)
        response.headers["Cache-Control"] = "no-store"
        return response

    def setup(app: web.Application) -> None:
        app.middlewares.insert(0, shed_load(max_inflight, queue_wait))
        app[HEALTH] = health_view
        app.router.add_get("/metrics", metrics_view)

    return setup
