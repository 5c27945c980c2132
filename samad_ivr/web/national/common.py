"""What the national office's views share: who may search, play and listen; the
long-lived services (search, dashboard, audit, transcoder, listen gateway) as typed
AppKeys; the filter form's choices and links that carry its filters.

Access rule (issue #4): superuser and national_listener see every province;
province_admin only their own.  Everyone else gets 403, and a 403 sends no bytes and
writes no audit row.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp_jinja2
from aiohttp import web
from yarl import URL

from samad_ivr.admin.jalali import fa_digits, jalali_text, time_text
from samad_ivr.audio.transcode import Transcoder
from samad_ivr.national.filters import FILTER_FIELDS
from samad_ivr.national.listen import ListenGateway
from samad_ivr.storage.dashboard import DashboardRepository
from samad_ivr.storage.listen_audit import ListenAuditRepository
from samad_ivr.storage.roster import CenterRow
from samad_ivr.storage.roster_edit import RosterEditor
from samad_ivr.storage.search import CallSearchRepository
from samad_ivr.web.app import DEPS
from samad_ivr.web.paths import path_int
from samad_ivr.web.security import Role, User, http_error, require_user

NATIONAL_VIEW_ROLES = (Role.SUPERUSER, Role.NATIONAL_LISTENER, Role.PROVINCE_ADMIN)
WRONG_CENTER = "شما به اطلاعات این استان دسترسی ندارید."
NOT_FOUND = "موردی با این مشخصات پیدا نشد."

SEARCH = web.AppKey("national_search", CallSearchRepository)
DASHBOARD = web.AppKey("national_dashboard", DashboardRepository)
AUDIT = web.AppKey("national_audit", ListenAuditRepository)
TRANSCODER = web.AppKey("national_transcoder", Transcoder)
LISTEN_GATEWAY = web.AppKey("national_listen_gateway", ListenGateway)


def national_user(request: web.Request) -> User:
    """A user who may use the national pages at all (401/403 otherwise)."""
    return require_user(request, *NATIONAL_VIEW_ROLES)


def visible_centers(user: User) -> frozenset[int] | None:
    """None: every center.  A province admin: their one center."""
    if user.is_national:
        return None
    if user.role is Role.PROVINCE_ADMIN and user.center_id is not None:
        return frozenset({user.center_id})
    return frozenset()


async def center_choices(request: web.Request, user: User) -> list[CenterRow]:
    """The provinces the filter form offers `user`."""
    visible = visible_centers(user)
    centers = await RosterEditor(request.config_dict[DEPS].pool).centers()
    return [c for c in centers if visible is None or c.id in visible]


def filter_link(path: str, values: Mapping[str, str]) -> str:
    """`path` with the filled-in filters of `values` as its query (search <-> dashboard)."""
    return str(URL(path).with_query({k: v for k, v in values.items() if k in FILTER_FIELDS and v}))


def may_see_call(user: User, center_id: int | None) -> bool:
    """National roles see every call (also those without a center); a province admin
    only calls of their own center."""
    if user.is_national:
        return True
    return (
        user.role is Role.PROVINCE_ADMIN and center_id is not None and user.center_id == center_id
    )


def forbid_center(request: web.Request) -> web.HTTPException:
    return http_error(request, 403, "forbidden_center", WRONG_CENTER)


def not_found(request: web.Request) -> web.HTTPException:
    return http_error(request, 404, "not_found", NOT_FOUND)


def path_id(request: web.Request, name: str) -> int:
    return path_int(request, name, not_found)


def timezone(request: web.Request) -> ZoneInfo:
    return ZoneInfo(request.config_dict[DEPS].settings.timezone)


def local_text(instant: datetime | None, tz: ZoneInfo) -> str:
    if instant is None:
        return "—"
    local = instant.astimezone(tz)
    return f"{jalali_text(local.date())} {fa_digits(local.strftime('%H:%M:%S'))}"


def render(request: web.Request, template: str, user: User, **values: Any) -> web.Response:
    tz = timezone(request)
    context: dict[str, Any] = {
        "user": user,
        "fa": fa_digits,
        "hm": time_text,
        "local": lambda instant: local_text(instant, tz),
        "errors": [],
        "notice": None,
        **values,
    }
    return aiohttp_jinja2.render_template(template, request, context)
