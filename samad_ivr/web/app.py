"""The aiohttp web application served by `samad-ivr serve` (consoles, API, callbacks).

Long-lived things (pool, repositories) come in through `WebDeps`; views find them with
typed AppKeys.  Each feature adds its routes in its own `setup(app)` function, listed in
`setup_routes`, so modules never reach into each other.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import aiohttp_jinja2
import jinja2
from aiohttp import web

from samad_ivr.settings import Settings
from samad_ivr.storage.db import Pool
from samad_ivr.web.widgets import setup_widgets

HERE = Path(__file__).parent


@dataclass(frozen=True, slots=True)
class WebDeps:
    settings: Settings
    pool: Pool


DEPS = web.AppKey("deps", WebDeps)

Feature = Callable[[web.Application], None]


# The service's real checks (samad_ivr/ops/web.py); an app without them (tests of one
# console) answers a bare "ok".
HealthView = Callable[[web.Request], Awaitable[web.StreamResponse]]
HEALTH: web.AppKey[HealthView] = web.AppKey("health")


async def health(request: web.Request) -> web.StreamResponse:
    view = request.app.get(HEALTH)
    if view is not None:
        return await view(request)
    return web.json_response({"status": "ok"})


def create_app(deps: WebDeps, features: Iterable[Feature] = ()) -> web.Application:
    # Officials' recorded prompts may be up to 10 MB (checked with a clear message).
    app = web.Application(client_max_size=11 * 1024 * 1024)
    app[DEPS] = deps
    env = aiohttp_jinja2.setup(
        app,
        loader=jinja2.FileSystemLoader(str(HERE / "templates")),
        autoescape=jinja2.select_autoescape(default=True),
        undefined=jinja2.StrictUndefined,
    )
    app.router.add_get("/healthz", health)
    app.router.add_static("/static", HERE / "static", append_version=False)
    setup_widgets(app, env)
    for feature in features:
        feature(app)
    return app
