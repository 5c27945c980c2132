"""Centers index, roster CSV import, "who answers at time T?" and the audit list."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import aiohttp_jinja2
from aiohttp import web

from samad_ivr.admin.audit_text import ACTION_NAMES, describe
from samad_ivr.admin.csv_import import OfficialDirectory, parse_roster_csv
from samad_ivr.admin.jalali import (
    InputError,
    JalaliMonth,
    iso_jalali,
    parse_jalali_date,
    parse_time,
)
from samad_ivr.admin.messages import clash_messages
from samad_ivr.admin.who import WhoError, who_answers
from samad_ivr.storage.audit import AuditRepository
from samad_ivr.storage.officials import OfficialRepository
from samad_ivr.storage.roster import RosterRepository, SlotOverlap
from samad_ivr.storage.roster_edit import PlanClashes, RosterEditor
from samad_ivr.web.admin.common import (
    ADMIN_ROLES,
    admin_center,
    local_text,
    pool,
    redirect,
    render,
)
from samad_ivr.web.admin.roster import RACE_MESSAGE, new_slots
from samad_ivr.web.security import Role, require_user

AUDIT_PAGE_SIZE = 50
CSV_EXAMPLE = "jalali_date,start,end,official_id\n1404-01-15,09:00,11:00,3\n"


async def centers_index(request: web.Request) -> web.Response:
    user = require_user(request, *ADMIN_ROLES)
    if user.role is not Role.SUPERUSER and user.center_id is not None:
        raise web.HTTPFound(f"/admin/centers/{user.center_id}/roster")
    centers = await RosterEditor(pool(request)).centers()
    context = {"centers": centers, "user": user, "errors": [], "notice": None}
    return aiohttp_jinja2.render_template("admin/index.html", request, context)


async def import_page(request: web.Request) -> web.Response:
    ctx = await admin_center(request)
    return render(request, "admin/import.html", ctx, example=CSV_EXAMPLE)


async def import_csv(request: web.Request) -> web.Response:
    ctx = await admin_center(request)
    try:
        form = await request.post()
    except web.HTTPRequestEntityTooLarge:
        form = None
    upload = form.get("file") if form is not None else None
    if not isinstance(upload, web.FileField):
        message = "یک پروندهٔ CSV (حداکثر ۱ مگابایت) انتخاب کنید."
        return render(request, "admin/import.html", ctx, status=422, errors=[message],
                      example=CSV_EXAMPLE)  # fmt: skip
    officials = await OfficialRepository(pool(request)).list(ctx.center.id)
    directory = OfficialDirectory.build([(o.id, o.name, o.desk_endpoint) for o in officials])
    result = parse_roster_csv(upload.file.read(1024 * 1024 + 1), directory, ctx.tz)
    errors = [e.text for e in result.errors]
    status = 422
    if not errors:
        names = {o.id: o.name for o in officials}
        try:
            await RosterEditor(pool(request)).add_plan(
                ctx.center.id, new_slots(result.plan, names), ctx.actor, "slot_import"
            )
        except PlanClashes as exc:
            errors, status = clash_messages(result.plan, exc.clashes, ctx.tz), 409
        except SlotOverlap:
            errors, status = [RACE_MESSAGE], 409
    if errors:
        errors.insert(0, "هیچ ردیفی وارد نشد؛ خطاهای زیر را در پرونده اصلاح کنید و دوباره بفرستید.")
        return render(request, "admin/import.html", ctx, status=status, errors=errors,
                      example=CSV_EXAMPLE)  # fmt: skip
    first = min(p.starts_at for p in result.plan).date()
    raise redirect(ctx.url(f"/roster?month={JalaliMonth.of(first).key}"), "imported")


async def who_page(request: web.Request) -> web.Response:
    ctx = await admin_center(request)
    now = datetime.now(UTC).astimezone(ctx.tz)
    form = {
        "date": request.query.get("date", iso_jalali(now.date())),
        "time": request.query.get("time", now.strftime("%H:%M")),
    }
    values: dict[str, Any] = {"form": form, "answer": None, "errors": []}
    status = 200
    if "date" in request.query or "time" in request.query:
        try:
            day = parse_jalali_date(form["date"])
            at = parse_time(form["time"])
            instant = datetime.combine(day, at, tzinfo=ctx.tz)
            values["answer"] = await who_answers(
                RosterRepository(pool(request)), ctx.center.code, instant
            )
        except InputError as exc:
            values["errors"], status = [str(exc)], 422
        except WhoError as exc:
            values["errors"], status = [str(exc)], 503
    return render(request, "admin/who.html", ctx, status=status, **values)


async def audit_page(request: web.Request) -> web.Response:
    ctx = await admin_center(request)
    page_text = request.query.get("page", "1")
    page = int(page_text) if page_text.isdigit() and 0 < int(page_text) < 100000 else 1
    repo = AuditRepository(pool(request))
    entries = await repo.entries(ctx.center.id, AUDIT_PAGE_SIZE, (page - 1) * AUDIT_PAGE_SIZE)
    total = await repo.count(ctx.center.id)
    rows = [
        {
            "at": local_text(e.at, ctx.tz),
            "who": e.username or "—",
            "action": ACTION_NAMES.get(e.action, e.action),
            "before": describe(e.before, ctx.tz),
            "after": describe(e.after, ctx.tz),
        }
        for e in entries
    ]
    return render(
        request, "admin/audit.html", ctx, rows=rows, page=page,
        has_next=page * AUDIT_PAGE_SIZE < total,
    )  # fmt: skip


def setup_tool_routes(app: web.Application) -> None:
    base = "/admin/centers/{center_id}"
    app.router.add_get("/admin", centers_index)
    app.router.add_get(base + "/roster/import", import_page)
    app.router.add_post(base + "/roster/import", import_csv)
    app.router.add_get(base + "/who", who_page)
    app.router.add_get(base + "/audit", audit_page)
