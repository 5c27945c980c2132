"""What every admin console view shares: who may act on which center, forms, pages.

Only superusers (every center) and province admins (their own center) use the console.
The center always comes from the path, and objects (officials, slots, agencies) are
looked up together with it, so an id from another province is simply not found.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp_jinja2
from aiohttp import web

from samad_ivr.admin.jalali import fa_digits, jalali_text, time_text
from samad_ivr.storage.audit import Actor
from samad_ivr.storage.db import Pool
from samad_ivr.storage.roster import CenterRow
from samad_ivr.storage.roster_edit import RosterEditor
from samad_ivr.web import paths
from samad_ivr.web.app import DEPS, WebDeps
from samad_ivr.web.security import Role, User, http_error, require_user

ADMIN_ROLES = (Role.SUPERUSER, Role.PROVINCE_ADMIN)
NOT_FOUND = "موردی با این مشخصات در این مرکز پیدا نشد."

# Messages shown after a successful POST (redirect target carries ?done=<key>).
DONE_MESSAGES: Mapping[str, str] = {
    "slot_created": "نوبت کشیک ثبت شد.",
    "slot_moved": "نوبت کشیک جابه‌جا شد.",
    "slot_deleted": "نوبت کشیک حذف شد.",
    "repeated": "نوبت‌های تکراری ثبت شدند.",
    "imported": "پروندهٔ CSV وارد شد.",
    "agency_saved": "دستگاه ذخیره شد.",
    "agency_deleted": "دستگاه حذف شد.",
    "official_saved": "مسئول ذخیره شد.",
    "official_saved_prompt": "مسئول ذخیره شد و صدای معرفی‌اش از سمت و دستگاه ساخته شد.",
    "official_saved_noprompt": (
        "مسئول ذخیره شد، اما صدای معرفی ساخته نشد؛ تا آن زمان صدای عمومی پخش می‌شود."
    ),
    "official_deleted": "مسئول حذف شد.",
    "prompt_uploaded": "صدای ضبط‌شده جایگزین شد.",
    "desk_credential_rotated": (
        "رمز تلفن مرورگری این میز عوض شد؛ تا یک دقیقهٔ دیگر فقط رمز تازه پذیرفته می‌شود."
    ),
    "settings_saved": "تنظیمات مرکز ذخیره شد.",
    "holiday_saved": "روز تعطیل ذخیره شد.",
    "holiday_removed": "روز تعطیل حذف شد.",
}


@dataclass(frozen=True, slots=True)
class AdminContext:
    user: User
    center: CenterRow

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.center.timezone)

    @property
    def actor(self) -> Actor:
        return Actor(self.user.id, self.user.username)

    def url(self, tail: str = "") -> str:
        return f"/admin/centers/{self.center.id}{tail}"


def deps(request: web.Request) -> WebDeps:
    return request.config_dict[DEPS]


def pool(request: web.Request) -> Pool:
    return deps(request).pool


def path_int(request: web.Request, name: str) -> int:
    """An integer path segment; anything else is a 404, not a 500."""
    return paths.path_int(request, name, not_found, max_digits=9)


async def admin_center(request: web.Request) -> AdminContext:
    """The user (an admin allowed on the path's center) and that center; 401/403/404."""
    center_id = path_int(request, "center_id")
    user = require_user(request, *ADMIN_ROLES, center_id=center_id)
    # Defence in depth: never rely on one check for the province boundary.
    if user.role is not Role.SUPERUSER and user.center_id != center_id:
        raise http_error(
            request, 403, "forbidden_center", "شما به اطلاعات این استان دسترسی ندارید."
        )
    center = await RosterEditor(pool(request)).center(center_id)
    if center is None:
        raise http_error(request, 404, "not_found", "مرکزی با این شناسه نیست.")
    return AdminContext(user, center)


def not_found(request: web.Request) -> web.HTTPException:
    return http_error(request, 404, "not_found", NOT_FOUND)


async def form_fields(request: web.Request) -> dict[str, str]:
    """The text fields of a urlencoded or multipart form (files are left out)."""
    form = await request.post()
    return {k: v for k, v in form.items() if isinstance(v, str)}


def redirect(location: str, done: str | None = None) -> web.HTTPSeeOther:
    if done is not None:
        location += ("&" if "?" in location else "?") + f"done={done}"
    return web.HTTPSeeOther(location)


def local_text(instant: datetime, tz: ZoneInfo) -> str:
    local = instant.astimezone(tz)
    return f"{jalali_text(local.date())} {time_text(local.time())}"


def render(
    request: web.Request,
    template: str,
    ctx: AdminContext,
    *,
    status: int = 200,
    **values: Any,
) -> web.Response:
    """Render an admin page with the helpers and navigation every template uses."""
    done = request.query.get("done", "")
    context: dict[str, Any] = {
        "user": ctx.user,
        "center": ctx.center,
        "base": ctx.url(),
        "fa": fa_digits,
        "jalali": jalali_text,
        "hm": time_text,
        "local": lambda instant: local_text(instant, ctx.tz),
        "notice": DONE_MESSAGES.get(done),
        "errors": [],
    }
    context.update(values)
    return aiohttp_jinja2.render_template(template, request, context, status=status)
