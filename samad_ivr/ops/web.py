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

import hmac
import ipaddress

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST

from samad_ivr.ops.health import HealthChecker
from samad_ivr.ops.metrics import Metrics
from samad_ivr.storage.db import Pool
from samad_ivr.web.app import HEALTH, Feature

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


def ops_feature(*, metrics: Metrics, health: HealthChecker, pool: Pool, token: str) -> Feature:
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
        app[HEALTH] = health_view
        app.router.add_get("/metrics", metrics_view)

    return setup
