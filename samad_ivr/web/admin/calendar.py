"""The roster calendar page: a Jalali month or week with slots, holidays and the slot forms."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from aiohttp import web

from samad_ivr.admin.calendar import CalendarSlot, MonthGrid, build_month, build_week
from samad_ivr.admin.jalali import (
    InputError,
    JalaliMonth,
    iso_jalali,
    local_range,
    parse_jalali_date,
    parse_month,
)
from samad_ivr.storage.holidays import HolidayRepository
from samad_ivr.storage.officials import OfficialRepository
from samad_ivr.storage.roster_edit import RosterEditor
from samad_ivr.web.admin.common import AdminContext, admin_center, pool, render


def today_in(ctx: AdminContext) -> date:
    return datetime.now(UTC).astimezone(ctx.tz).date()


def slot_form(ctx: AdminContext, day: date | None = None) -> dict[str, str]:
    return {
        "official_id": "",
        "date": iso_jalali(day) if day else "",
        "start": ctx.center.duty_start.strftime("%H:%M"),
        "end": ctx.center.duty_end.strftime("%H:%M"),
        "mode": "weekly",
        "weeks": "4",
    }


async def calendar_page(request: web.Request) -> web.Response:
    ctx = await admin_center(request)
    return await render_calendar(request, ctx, dict(request.query))


async def render_calendar(
    request: web.Request,
    ctx: AdminContext,
    query: dict[str, str],
    *,
    form: dict[str, str] | None = None,
    repeat_form: dict[str, str] | None = None,
    errors: list[str] | None = None,
    status: int = 200,
) -> web.Response:
    errors = list(errors or [])
    today = today_in(ctx)
    view, anchor = "month", today
    month = JalaliMonth.of(today)
    try:
        if query.get("week"):
            view, anchor = "week", parse_jalali_date(query["week"])
            month = JalaliMonth.of(anchor)
        elif query.get("month"):
            month = parse_month(query["month"])
            anchor = month.first
        picked = parse_jalali_date(query["day"]) if query.get("day") else None
    except InputError as exc:
        errors.append(str(exc))
        picked = None
    grid = await _grid(request, ctx, view, month, anchor, today)
    back = f"?week={iso_jalali(anchor)}" if view == "week" else f"?month={month.key}"
    officials = await OfficialRepository(pool(request)).list(ctx.center.id)
    week_of = anchor if view == "week" else (today if month == JalaliMonth.of(today) else anchor)
    values: dict[str, Any] = {
        "grid": grid,
        "view": view,
        "month_key": month.key,
        "prev_month": month.shifted(-1).key,
        "next_month": month.shifted(1).key,
        "this_month": JalaliMonth.of(today).key,
        "week_of": iso_jalali(week_of),
        "prev_week": iso_jalali(anchor - timedelta(days=7)),
        "next_week": iso_jalali(anchor + timedelta(days=7)),
        "back": back,
        "officials": officials,
        "form": {**slot_form(ctx, picked), **(form or {})},
        "repeat_form": {**slot_form(ctx, picked), **(repeat_form or {})},
        "errors": errors,
    }
    return render(request, "admin/calendar.html", ctx, status=status, **values)


async def _grid(
    request: web.Request,
    ctx: AdminContext,
    view: str,
    month: JalaliMonth,
    anchor: date,
    today: date,
) -> MonthGrid:
    first, last = month.first - timedelta(days=7), month.last + timedelta(days=7)
    if view == "week":
        first, last = anchor - timedelta(days=7), anchor + timedelta(days=7)
    start, end = local_range(first, last, ctx.tz)
    rows = await RosterEditor(pool(request)).slots(ctx.center.id, start, end)
    slots = [
        CalendarSlot(s.id, s.official_id, s.official_name, s.starts_at, s.ends_at, ctx.tz)
        for s in rows
    ]
    closed = await HolidayRepository(pool(request)).list_days(ctx.center.id, first, last)
    names = {c.day: c.name for c in closed}
    weekend = ctx.center.weekend_days
    if view == "week":
        return build_week(anchor, slots, names, weekend, today)
    return build_month(month, slots, names, weekend, today)
