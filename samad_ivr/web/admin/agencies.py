"""Agencies of a center: list, create, rename, delete; one agency's page with its
contact mobile and staff accounts (samad_ivr.web.admin.agency_staff)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from samad_ivr.admin.jalali import normalise
from samad_ivr.domain.phone import normalise_caller_id
from samad_ivr.storage.agencies import AgencyExists, AgencyInUse, AgencyRepository
from samad_ivr.web.admin.common import (
    AdminContext,
    admin_center,
    form_fields,
    not_found,
    path_int,
    pool,
    redirect,
    render,
)

MAX_NAME = 200
DONE = {
    "contact_saved": "شمارهٔ همراه دستگاه ذخیره شد.",
    "contact_cleared": "شمارهٔ همراه دستگاه پاک شد؛ یادآوری‌ها فقط در سامانه دیده می‌شوند.",
    "staff_created": "حساب کاربر ساخته شد.",
    "staff_deactivated": "حساب کاربر غیرفعال شد و نشست‌های باز او بسته شد.",
    "staff_activated": "حساب کاربر دوباره فعال شد.",
}


def agency_name(fields: dict[str, str]) -> tuple[str, str | None]:
    """The normalised name and a Persian error, if any."""
    name = " ".join(normalise(fields.get("name", "")).split())
    if not name:
        return name, "نام دستگاه را وارد کنید."
    if len(name) > MAX_NAME:
        return name, "نام دستگاه بیش از ۲۰۰ نویسه است."
    return name, None


async def _page(
    request: web.Request, ctx: AdminContext, errors: list[str] | None = None, status: int = 200
) -> web.Response:
    agencies = await AgencyRepository(pool(request)).list(ctx.center.id)
    return render(
        request, "admin/agencies.html", ctx, status=status, agencies=agencies, errors=errors or []
    )


async def agencies_page(request: web.Request) -> web.Response:
    return await _page(request, await admin_center(request))


def contact_mobile(raw: str) -> tuple[str | None, str | None]:
    """A typed mobile (any Iranian form, Persian digits too) as E.164, and a Persian
    error; an empty field clears the number."""
    text = normalise(raw)
    if not text:
        return None, None
    number = normalise_caller_id(text)
    if number.e164 is None:
        return None, f"«{raw.strip()[:40]}» شمارهٔ تلفن معتبری نیست؛ مثلاً ۰۹۱۸ ۱۲۳ ۴۵۶۷ بنویسید."
    if not number.is_mobile:
        return None, "فقط شمارهٔ همراه ایران پذیرفته می‌شود (پیامک یادآوری به آن فرستاده می‌شود)."
    return number.e164, None


async def agency_page(
    request: web.Request,
    ctx: AdminContext | None = None,
    *,
    errors: list[str] | None = None,
    status: int = 200,
    **values: Any,
) -> web.Response:
    """One agency: its contact mobile and staff accounts (and the forms for both)."""
    ctx = ctx or await admin_center(request)
    agency_id = path_int(request, "agency_id")
    repo = AgencyRepository(pool(request))
    agency = await repo.get(ctx.center.id, agency_id)
    if agency is None:
        raise not_found(request)
    context: dict[str, Any] = {
        "agency": agency,
        "staff": await repo.staff(ctx.center.id, agency_id),
        "errors": errors or [],
        "notice": DONE.get(request.query.get("done", "")),
        "form": {"username": "", "full_name": "", "mobile": ""},
        "new_password": None,
        **values,
    }
    response = render(request, "admin/agency.html", ctx, status=status, **context)
    # A generated password is on this page once; no cache may keep it.
    response.headers["Cache-Control"] = "no-store"
    return response


async def save_contact(request: web.Request) -> web.Response:
    ctx = await admin_center(request)
    agency_id = path_int(request, "agency_id")
    raw = (await form_fields(request)).get("mobile", "")
    e164, error = contact_mobile(raw)
    if error is not None:
        form = {"username": "", "full_name": "", "mobile": raw}
        return await agency_page(request, ctx, errors=[error], status=422, form=form)
    if not await AgencyRepository(pool(request)).set_contact_mobile(ctx.center.id, agency_id, e164):
        raise not_found(request)
    done = "contact_saved" if e164 else "contact_cleared"
    raise redirect(ctx.url(f"/agencies/{agency_id}"), done)


async def create_agency(request: web.Request) -> web.Response:
    ctx = await admin_center(request)
    name, error = agency_name(await form_fields(request))
    if error is None:
        try:
            await AgencyRepository(pool(request)).create(ctx.center.id, name)
        except AgencyExists:
            error = f"دستگاهی به نام «{name}» در این مرکز هست."
    if error is not None:
        return await _page(request, ctx, [error], 422)
    raise redirect(ctx.url("/agencies"), "agency_saved")


async def rename_agency(request: web.Request) -> web.Response:
    ctx = await admin_center(request)
    agency_id = path_int(request, "agency_id")
    name, error = agency_name(await form_fields(request))
    if error is None:
        try:
            if not await AgencyRepository(pool(request)).rename(ctx.center.id, agency_id, name):
                raise not_found(request)
        except AgencyExists:
            error = f"دستگاهی به نام «{name}» در این مرکز هست."
    if error is not None:
        return await _page(request, ctx, [error], 422)
    raise redirect(ctx.url("/agencies"), "agency_saved")


async def delete_agency(request: web.Request) -> web.Response:
    ctx = await admin_center(request)
    agency_id = path_int(request, "agency_id")
    try:
        if not await AgencyRepository(pool(request)).delete(ctx.center.id, agency_id):
            raise not_found(request)
    except AgencyInUse:
        message = (
            "این دستگاه مسئول، درخواست یا حساب کاربری دارد و حذف نمی‌شود؛ ابتدا آن‌ها را منتقل کنید."
        )
        return await _page(request, ctx, [message], 409)
    raise redirect(ctx.url("/agencies"), "agency_deleted")


def setup_agency_routes(app: web.Application) -> None:
    base = "/admin/centers/{center_id}/agencies"
    app.router.add_get(base, agencies_page)
    app.router.add_get(base + "/{agency_id}", agency_page)
    app.router.add_post(base + "/{agency_id}/contact", save_contact)
    app.router.add_post(base, create_agency)
    app.router.add_post(base + "/{agency_id}", rename_agency)
    app.router.add_post(base + "/{agency_id}/delete", delete_agency)
