"""The route table: agi://host:port/<name> -> handler.  Names match the dialplan."""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial

from samad_ivr.agi.handlers import (
    callback,
    health,
    inbound,
    post_call,
    register,
    satisfaction,
    satisfaction_done,
    status_lookup,
    status_resend,
    subscribe,
)
from samad_ivr.agi.handlers.common import RouteDeps
from samad_ivr.agi.server import Handler
from samad_ivr.ops.health import HealthChecker


def build_routes(
    deps: RouteDeps,
    subscribe_deps: subscribe.SubscribeDeps,
    *,
    status_deps: status_lookup.StatusDeps,
    satisfaction_deps: satisfaction.SatisfactionDeps,
    health_checker: HealthChecker | None = None,
    callback_deps: callback.CallbackRouteDeps | None = None,
) -> Mapping[str, Handler]:
    routes: dict[str, Handler] = {
        "inbound": partial(inbound.handle, deps=deps),
        "register": partial(register.handle, deps=deps),
        "post_call": partial(post_call.handle, deps=deps),
        "subscribe": partial(subscribe.handle, deps=subscribe_deps),
        "status_lookup": partial(status_lookup.handle, deps=status_deps),
        "status_resend": partial(status_resend.handle, deps=status_deps),
        "satisfaction": partial(satisfaction.handle, deps=satisfaction_deps),
        "satisfaction_done": partial(satisfaction_done.handle, deps=satisfaction_deps),
    }
    if callback_deps is not None:
        routes["callback_offer"] = partial(callback.handle_offer, deps=callback_deps)
        routes["callback_request"] = partial(callback.handle_request, deps=callback_deps)
    if health_checker is not None:
        routes["health"] = partial(health.handle, checker=health_checker)
    return routes
