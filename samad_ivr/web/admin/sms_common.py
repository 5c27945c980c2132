"""What the national console pages (SMS texts, notifications) share.

These pages are not under `/admin/centers/{id}`: SMS texts are national and the
notification list is filtered by the viewer.  A province user still gets their own
center's links in the navigation.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp_jinja2
from aiohttp import web

from samad_ivr.admin.jalali import fa_digits
from samad_ivr.domain.spoken import format_jalali
from samad_ivr.storage.roster import CenterRow
from samad_ivr.storage.roster_edit import RosterEditor
from samad_ivr.web.admin.common import deps, pool
from samad_ivr.web.security import Role, User, require_user

NOTICES: Mapping[str, str] = {
    "template_saved": "متن پیامک ذخیره شد.",
    "read": "اعلان خوانده‌شده علامت خورد.",
}


@dataclass(frozen=True, slots=True)
class Console:
    user: User
    center: CenterRow | None  # a province user's own center, for the navigation
    tz: ZoneInfo


async def console_user(request: web.Request, *roles: Role) -> Console:
    """The user (one of `roles`, else 401/403), their center and the time zone to show."""
    user = require_user(request, *roles)
    center = None
    if user.center_id is not None:
        center = await RosterEditor(pool(request)).center(user.center_id)
    tz = ZoneInfo(center.timezone if center is not None else deps(request).settings.timezone)
    return Console(user, center, tz)


def render_console(
    request: web.Request, template: str, c: Console, *, status: int = 200, **values: Any
) -> web.Response:
    """Render a page that extends `admin/layout.html` (same helpers as center pages)."""
    context: dict[str, Any] = {
        "user": c.user,
        "center": c.center,
        "base": f"/admin/centers/{c.center.id}" if c.center is not None else "",
        "fa": fa_digits,
        "local": lambda instant: format_jalali(instant, c.tz),
        "notice": NOTICES.get(request.query.get("done", "")),
        "errors": [],
    }
    context.update(values)
    return aiohttp_jinja2.render_template(template, request, context, status=status)
