"""Live listen-in on a call in progress: POST /national/calls/{id}/listen (form, CSRF)
and POST /api/v1/calls/{id}/listen (JSON, CSRF header).

Allowed: national_listener, superuser, and the province admin of the call's province;
everyone else 403 with no audit row.  The audit row is written before AMI is asked.
"""

from __future__ import annotations

from aiohttp import web

from samad_ivr.national.listen import ListenError, allowed_endpoint, choose_channel
from samad_ivr.storage.accounts import Role, User
from samad_ivr.storage.db import StorageError
from samad_ivr.storage.listen_audit import ListenAction, NewAuditEntry
from samad_ivr.storage.search import CallHit
from samad_ivr.web.app import DEPS
from samad_ivr.web.auth_views import client_ip
from samad_ivr.web.national.common import (
    AUDIT,
    LISTEN_GATEWAY,
    SEARCH,
    forbid_center,
    not_found,
    path_id,
)
from samad_ivr.web.openapi import api_route
from samad_ivr.web.security import http_error, require_user

LISTEN_ROLES = (Role.NATIONAL_LISTENER, Role.SUPERUSER, Role.PROVINCE_ADMIN)
LISTEN_RESPONSE = {"type": "object", "required": ["status"], "properties": {
    "status": {"type": "string", "enum": ["ringing"]}, "message": {"type": "string"}}}  # fmt: skip


def _may_listen(user: User, call: CallHit) -> bool:
    if user.role in (Role.NATIONAL_LISTENER, Role.SUPERUSER):
        return True
    return (
        user.role is Role.PROVINCE_ADMIN
        and call.center_id is not None
        and (user.center_id == call.center_id)
    )


async def _listen(request: web.Request) -> str:
    user = require_user(request, *LISTEN_ROLES)
    call = await request.config_dict[SEARCH].call(path_id(request, "call_id"))
    if call is None:
        raise not_found(request)
    if not _may_listen(user, call):
        raise forbid_center(request)
    if not call.live:
        raise http_error(request, 409, "call_ended", "این تماس دیگر در جریان نیست.")
    audit = request.config_dict[AUDIT]
    endpoint = await audit.listen_endpoint(user.id)
    if endpoint is None:
        raise http_error(request, 409, "no_endpoint", "برای شما نقطهٔ شنود (تلفن) ثبت نشده است.")
    if not allowed_endpoint(endpoint, request.config_dict[DEPS].settings.listen_endpoints):
        raise http_error(
            request, 403, "endpoint_not_allowed", "تلفن شنود شما در فهرست تلفن‌های مجاز نیست."
        )
    gateway = request.config_dict.get(LISTEN_GATEWAY)
    if gateway is None:
        raise http_error(request, 503, "unavailable", "ارتباط با مرکز تلفن برقرار نیست.")
    try:
        channel = choose_channel(await gateway.live_channels(), call.uniqueid)
        if channel is None:
            raise http_error(request, 409, "call_ended", "کانال زندهٔ این تماس پیدا نشد.")
        await audit.record(NewAuditEntry(
            user_id=user.id, username=user.username, role=user.role.value,
            action=ListenAction.LISTEN_LIVE, call_id=call.id, center_id=call.center_id,
            ip=client_ip(request), user_agent=request.headers.get("User-Agent", "")[:512],
            endpoint=endpoint,
        ))  # fmt: skip
        await gateway.originate_spy(endpoint, channel.uniqueid, "Samad listen <111>")
    except ListenError as exc:
        raise http_error(request, 503, "listen_failed", str(exc)) from None
    except StorageError:
        raise http_error(request, 500, "audit_failed", "ثبت گزارش شنود ممکن نشد.") from None
    return "تلفن شما زنگ می‌خورد؛ پس از پاسخ، تماس را می‌شنوید."


async def listen_form(request: web.Request) -> web.Response:
    await _listen(request)
    raise web.HTTPSeeOther(f"/national/calls?live=1&listening={path_id(request, 'call_id')}")


async def listen_api(request: web.Request) -> web.Response:
    message = await _listen(request)
    return web.json_response({"status": "ringing", "message": message})


def setup_national_listen(app: web.Application) -> None:
    app.router.add_post(r"/national/calls/{call_id:\d+}/listen", listen_form)
    api_route(
        app, "POST", r"/calls/{call_id:\d+}/listen", listen_api,
        summary="Listen in (listen-only) to a call in progress on your own phone",
        response_schema=LISTEN_RESPONSE, roles=LISTEN_ROLES, tags=["national"],
        operation_id="listen_live",
    )  # fmt: skip
