"""Staff accounts of an agency (role `agency_staff`, scoped to that agency).

    POST /admin/centers/{c}/agencies/{a}/staff                  create
    POST /admin/centers/{c}/agencies/{a}/staff/{user_id}/active active=0 | 1

The admin types the password twice, or asks for a generated one, which is shown once on
the answer page (never stored in clear, never logged).  Deactivating ends the user's
open sessions at once (AccountRepository.set_active through the app's session cache).
"""

from __future__ import annotations

import logging
import secrets

from aiohttp import web

from samad_ivr.admin.jalali import normalise
from samad_ivr.storage.accounts import USERNAME_RE, AccountError, NewUser, Role
from samad_ivr.storage.agencies import AgencyRepository
from samad_ivr.web.admin.agencies import agency_page
from samad_ivr.web.admin.common import (
    admin_center,
    form_fields,
    not_found,
    path_int,
    pool,
    redirect,
)
from samad_ivr.web.auth_views import MAX_PASSWORD_LENGTH, hash_password, normalise_username
from samad_ivr.web.security import ACCOUNTS

log = logging.getLogger(__name__)

MIN_PASSWORD_LENGTH = 10
MAX_FULL_NAME = 200


def new_staff_fields(
    fields: dict[str, str],
) -> tuple[str, str, str | None, bool, list[str]]:
    """(username, full name, typed password or None, generated?, Persian errors)."""
    username = normalise_username(fields.get("username", ""))
    full_name = " ".join(normalise(fields.get("full_name", "")).split())
    generate = fields.get("generate") == "1"
    password, again = fields.get("password", ""), fields.get("password_again", "")
    errors: list[str] = []
    if not USERNAME_RE.fullmatch(username):
        errors.append(
            "نام کاربری باید ۳ تا ۶۴ نویسهٔ لاتین کوچک، رقم یا . _ - باشد و با حرف یا رقم شروع شود."
        )
    if not full_name:
        errors.append("نام و نام خانوادگی کاربر را وارد کنید.")
    elif len(full_name) > MAX_FULL_NAME:
        errors.append("نام کاربر بیش از ۲۰۰ نویسه است.")
    if generate:
        return username, full_name, None, True, errors
    if password != again:
        errors.append("گذرواژه و تکرار آن یکسان نیستند.")
    elif not MIN_PASSWORD_LENGTH <= len(password) <= MAX_PASSWORD_LENGTH:
        errors.append("گذرواژه باید دست‌کم ۱۰ نویسه باشد (یا «گذرواژه بسازد» را بزنید).")
    elif password.strip() != password:
        errors.append("گذرواژه نباید با فاصله شروع یا تمام شود.")
    return username, full_name, password, False, errors


async def create_staff(request: web.Request) -> web.Response:
    ctx = await admin_center(request)
    agency_id = path_int(request, "agency_id")
    if await AgencyRepository(pool(request)).get(ctx.center.id, agency_id) is None:
        raise not_found(request)
    fields = await form_fields(request)
    username, full_name, password, generated, errors = new_staff_fields(fields)
    form = {"username": fields.get("username", ""), "full_name": fields.get("full_name", "")}
    if errors:
        return await agency_page(request, ctx, errors=errors, status=422, form=form)
    if password is None:
        password = secrets.token_urlsafe(12)
    new = NewUser(username, full_name, Role.AGENCY_STAFF, ctx.center.id, agency_id=agency_id)
    try:
        user = await request.config_dict[ACCOUNTS].create_user(new, await hash_password(password))
    except AccountError:
        message = f"نام کاربری «{username}» پیش‌تر گرفته شده است؛ نام دیگری برگزینید."
        return await agency_page(request, ctx, errors=[message], status=409, form=form)
    log.info(
        "agency staff account %s (id %s) created for agency %s by %s",
        user.username, user.id, agency_id, ctx.user.username,
    )  # fmt: skip
    if not generated:
        raise redirect(ctx.url(f"/agencies/{agency_id}"), "staff_created")
    return await agency_page(
        request, ctx, status=201, new_password=password, new_username=user.username,
        notice="حساب کاربر ساخته شد. گذرواژه را همین حالا به او برسانید؛ دوباره نمایش داده نمی‌شود.",
    )  # fmt: skip


async def set_staff_active(request: web.Request) -> web.Response:
    ctx = await admin_center(request)
    agency_id = path_int(request, "agency_id")
    user_id = path_int(request, "user_id")
    active = (await form_fields(request)).get("active", "")
    if active not in ("0", "1"):
        return await agency_page(request, ctx, errors=["وضعیت حساب نامعتبر است."], status=422)
    # Only an account of this agency of this center: ids from elsewhere are not found.
    if not await AgencyRepository(pool(request)).is_staff_of(ctx.center.id, agency_id, user_id):
        raise not_found(request)
    await request.config_dict[ACCOUNTS].set_active(user_id, active == "1")
    log.info(
        "agency staff account %s %s by %s",
        user_id, "activated" if active == "1" else "deactivated", ctx.user.username,
    )  # fmt: skip
    done = "staff_activated" if active == "1" else "staff_deactivated"
    raise redirect(ctx.url(f"/agencies/{agency_id}"), done)


def setup_agency_staff_routes(app: web.Application) -> None:
    base = "/admin/centers/{center_id}/agencies/{agency_id}/staff"
    app.router.add_post(base, create_staff)
    app.router.add_post(base + "/{user_id}/active", set_staff_active)
