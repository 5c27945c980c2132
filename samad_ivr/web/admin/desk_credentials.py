"""An official's browser desk: who may point at it, and rotating its SIP credential.

- Saving an official whose desk endpoint another center already uses is refused with a
  Persian error (the database trigger of 0021 refuses it too, on every write path).
- `POST /admin/centers/{c}/officials/{id}/softphone/rotate`: a new random credential for
  the official's browser desk; the desk sync writes it to Asterisk within a minute and
  the desk's page registers with the new one the next time it loads.
"""

from __future__ import annotations

import logging

from aiohttp import web

from samad_ivr.softphone.desks import browser_desk
from samad_ivr.storage.desk_credentials import DeskCredentialRepository
from samad_ivr.storage.officials import OfficialRepository
from samad_ivr.web.admin.common import admin_center, not_found, path_int, pool, redirect
from samad_ivr.web.app import DEPS
from samad_ivr.web.security import http_error

log = logging.getLogger(__name__)

DESK_ONE_CENTER = "officials_desk_one_center"  # the constraint name 0021's trigger raises
OTHER_CENTER = "این میز (نقطهٔ اتصال) متعلق به مرکز دیگری است؛ میز همین مرکز را وارد کنید."
NOT_BROWSER = (
    "میز این مسئول تلفن مرورگری نیست؛ رمز تلفن‌های سخت‌افزاری را مدیر مرکز تلفن تنظیم می‌کند."
)


async def desk_of_other_center(request: web.Request, center_id: int, endpoint: str) -> str | None:
    """A Persian error when `endpoint` belongs to a center other than `center_id`."""
    owner = await DeskCredentialRepository(pool(request)).owner(endpoint)
    return OTHER_CENTER if owner is not None and owner != center_id else None


async def rotate_credential(request: web.Request) -> web.Response:
    ctx = await admin_center(request)
    official = await OfficialRepository(pool(request)).get(
        ctx.center.id, path_int(request, "official_id")
    )
    if official is None:
        raise not_found(request)
    prefix = request.config_dict[DEPS].settings.softphone.prefix
    name = browser_desk(official.desk_endpoint, prefix)
    if name is None:
        raise http_error(request, 409, "not_browser_desk", NOT_BROWSER)
    await DeskCredentialRepository(pool(request)).rotate(name)
    log.info("softphone credential of %s rotated by user %s", name, ctx.user.id)
    raise redirect(ctx.url(f"/officials/{official.id}"), "desk_credential_rotated")


def setup_desk_credentials(app: web.Application, base: str) -> None:
    app.router.add_post(base + "/{official_id}/softphone/rotate", rotate_credential)
