"""Agencies of a center: list, create, rename, delete."""

from __future__ import annotations

from aiohttp import web

from samad_ivr.admin.jalali import normalise
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
        message = "این دستگاه مسئول یا درخواست دارد و حذف نمی‌شود؛ ابتدا آن‌ها را منتقل کنید."
        return await _page(request, ctx, [message], 409)
    raise redirect(ctx.url("/agencies"), "agency_deleted")


def setup_agency_routes(app: web.Application) -> None:
    base = "/admin/centers/{center_id}/agencies"
    app.router.add_get(base, agencies_page)
    app.router.add_post(base, create_agency)
    app.router.add_post(base + "/{agency_id}", rename_agency)
    app.router.add_post(base + "/{agency_id}/delete", delete_agency)
