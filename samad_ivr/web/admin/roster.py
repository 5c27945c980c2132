"""The duty roster in a Jalali calendar: view a month or week, create, move, delete, repeat."""

from __future__ import annotations

import re
from datetime import date, time
from typing import Any

from aiohttp import web

from samad_ivr.admin.jalali import (
    InputError,
    JalaliMonth,
    iso_jalali,
    normalise,
    parse_jalali_date,
    parse_time,
)
from samad_ivr.admin.messages import clash_messages, overlap_message
from samad_ivr.admin.planning import (
    PlannedSlot,
    plan_slot,
    plan_weekly,
    plan_working_days,
)
from samad_ivr.storage.holidays import HolidayRepository
from samad_ivr.storage.officials import OfficialInfo, OfficialRepository
from samad_ivr.storage.roster import SlotOverlap
from samad_ivr.storage.roster_edit import (
    NewSlot,
    PlanClashes,
    RosterEditor,
    SlotMoveClash,
)
from samad_ivr.web.admin.calendar import calendar_page, render_calendar, slot_form
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

_BACK_RE = re.compile(r"\?(month=\d{4}-\d{2}|week=\d{4}-\d{2}-\d{2})")
RACE_MESSAGE = "هم‌زمان نوبت دیگری در همین ساعت ثبت شد؛ صفحه را دوباره ببینید."


def back_query(fields: dict[str, str]) -> str:
    back = fields.get("back", "")
    return back if _BACK_RE.fullmatch(back) else ""


def _query_of(back: str) -> dict[str, str]:
    if not back:
        return {}
    key, _, value = back[1:].partition("=")
    return {key: value}


def choose_official(fields: dict[str, str], officials: list[OfficialInfo]) -> int:
    raw = normalise(fields.get("official_id", ""))
    if not raw:
        raise InputError("مسئول کشیک را انتخاب کنید.")
    if not raw.isdigit() or int(raw) not in {o.id for o in officials}:
        raise InputError("این مسئول در این مرکز نیست.")
    return int(raw)


def _names(officials: list[OfficialInfo]) -> dict[int, str]:
    return {o.id: o.name for o in officials}


def new_slots(plan: list[PlannedSlot], names: dict[int, str]) -> list[NewSlot]:
    return [
        NewSlot(p.official_id, p.starts_at, p.ends_at, names.get(p.official_id, "")) for p in plan
    ]


async def _store(
    request: web.Request, ctx: AdminContext, plan: list[PlannedSlot], action: str
) -> list[str]:
    """Store a plan; Persian error lines (nothing stored) or an empty list."""
    officials = await OfficialRepository(pool(request)).list(ctx.center.id)
    try:
        await RosterEditor(pool(request)).add_plan(
            ctx.center.id, new_slots(plan, _names(officials)), ctx.actor, action
        )
    except PlanClashes as exc:
        return clash_messages(plan, exc.clashes, ctx.tz)
    except SlotOverlap:
        return [RACE_MESSAGE]
    return []


def slot_fields(
    fields: dict[str, str], officials: list[OfficialInfo]
) -> tuple[int, date, time, time]:
    """The official, day and hours a slot form names (InputError when one is wrong)."""
    official_id = choose_official(fields, officials)
    day = parse_jalali_date(fields.get("date", ""))
    start = parse_time(fields.get("start", ""), "ساعت شروع")
    end = parse_time(fields.get("end", ""), "ساعت پایان")
    return official_id, day, start, end


async def create_slot(request: web.Request) -> web.Response:
    ctx = await admin_center(request)
    fields = await form_fields(request)
    back = back_query(fields)
    officials = await OfficialRepository(pool(request)).list(ctx.center.id)
    try:
        official_id, day, start, end = slot_fields(fields, officials)
        plan = [plan_slot(official_id, day, start, end, ctx.tz)]
    except InputError as exc:
        return await render_calendar(
            request, ctx, _query_of(back), form=fields, errors=[str(exc)], status=422
        )
    errors = await _store(request, ctx, plan, "slot_create")
    if errors:
        return await render_calendar(
            request, ctx, _query_of(back), form=fields, errors=errors, status=409
        )
    raise redirect(
        ctx.url("/roster") + (back or f"?month={JalaliMonth.of(day).key}"), "slot_created"
    )


async def repeat_slots(request: web.Request) -> web.Response:
    ctx = await admin_center(request)
    fields = await form_fields(request)
    back = back_query(fields)
    officials = await OfficialRepository(pool(request)).list(ctx.center.id)
    try:
        official_id, day, start, end = slot_fields(fields, officials)
        if fields.get("mode") == "month":
            plan = await _working_days_plan(request, ctx, official_id, day, start, end)
        else:
            weeks = normalise(fields.get("weeks", ""))
            if not weeks.isdigit():
                raise InputError("تعداد هفته‌ها را با عدد بنویسید.")
            plan = plan_weekly(official_id, day, int(weeks), start, end, ctx.tz)
    except InputError as exc:
        return await render_calendar(
            request, ctx, _query_of(back), repeat_form=fields, errors=[str(exc)], status=422
        )
    errors = await _store(request, ctx, plan, "slot_repeat")
    if errors:
        return await render_calendar(
            request, ctx, _query_of(back), repeat_form=fields, errors=errors, status=409
        )
    raise redirect(ctx.url("/roster") + (back or f"?month={JalaliMonth.of(day).key}"), "repeated")


async def _working_days_plan(
    request: web.Request,
    ctx: AdminContext,
    official_id: int,
    day: date,
    start: Any,
    end: Any,
) -> list[PlannedSlot]:
    month = JalaliMonth.of(day)
    closed = await HolidayRepository(pool(request)).list_days(
        ctx.center.id, month.first, month.last
    )
    closed_days = {c.day for c in closed}
    weekend = ctx.center.weekend_days

    def is_closed(d: date) -> bool:
        return d in closed_days or d.weekday() in weekend

    return plan_working_days(official_id, month, start, end, ctx.tz, is_closed)


async def slot_page(request: web.Request) -> web.Response:
    ctx = await admin_center(request)
    slot = await RosterEditor(pool(request)).slot(ctx.center.id, path_int(request, "slot_id"))
    if slot is None:
        raise not_found(request)
    local_start, local_end = slot.starts_at.astimezone(ctx.tz), slot.ends_at.astimezone(ctx.tz)
    form = {
        "official_id": str(slot.official_id),
        "date": iso_jalali(local_start.date()),
        "start": local_start.strftime("%H:%M"),
        "end": local_end.strftime("%H:%M"),
    }
    officials = await OfficialRepository(pool(request)).list(ctx.center.id)
    return render(request, "admin/slot.html", ctx, slot=slot, form=form, officials=officials)


async def move_slot(request: web.Request) -> web.Response:
    ctx = await admin_center(request)
    editor = RosterEditor(pool(request))
    slot = await editor.slot(ctx.center.id, path_int(request, "slot_id"))
    if slot is None:
        raise not_found(request)
    fields = await form_fields(request)
    officials = await OfficialRepository(pool(request)).list(ctx.center.id)
    errors: list[str] = []
    try:
        official_id, day, start, end = slot_fields(fields, officials)
        planned = plan_slot(official_id, day, start, end, ctx.tz)
        new = NewSlot(planned.official_id, planned.starts_at, planned.ends_at,
                      _names(officials).get(official_id, ""))  # fmt: skip
        await editor.move_slot(ctx.center.id, slot.id, new, ctx.actor)
    except InputError as exc:
        errors, status = [str(exc)], 422
    except SlotMoveClash as exc:
        errors, status = [overlap_message(exc.other, ctx.tz)], 409
    except SlotOverlap:
        errors, status = [RACE_MESSAGE], 409
    if errors:
        form = {**slot_form(ctx), **fields}
        return render(
            request, "admin/slot.html", ctx, status=status,
            slot=slot, form=form, officials=officials, errors=errors,
        )  # fmt: skip
    raise redirect(ctx.url("/roster") + f"?month={JalaliMonth.of(day).key}", "slot_moved")


async def delete_slot(request: web.Request) -> web.Response:
    ctx = await admin_center(request)
    fields = await form_fields(request)
    deleted = await RosterEditor(pool(request)).delete_slot(
        ctx.center.id, path_int(request, "slot_id"), ctx.actor
    )
    if deleted is None:
        raise not_found(request)
    back = back_query(fields)
    month = JalaliMonth.of(deleted.starts_at.astimezone(ctx.tz).date())
    raise redirect(ctx.url("/roster") + (back or f"?month={month.key}"), "slot_deleted")


def setup_roster_routes(app: web.Application) -> None:
    base = "/admin/centers/{center_id}/roster"
    app.router.add_get(base, calendar_page)
    app.router.add_post(base + "/slots", create_slot)
    app.router.add_post(base + "/repeat", repeat_slots)
    app.router.add_get(base + "/slots/{slot_id}", slot_page)
    app.router.add_post(base + "/slots/{slot_id}/move", move_slot)
    app.router.add_post(base + "/slots/{slot_id}/delete", delete_slot)
