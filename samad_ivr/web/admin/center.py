"""A center's calendar settings: weekend days, duty window, holidays and closures.

Changing a closed day or the weekend recomputes the deadlines of the center's requests
still waiting for their agency, in the same transaction (samad_ivr.storage.deadlines).
"""

from __future__ import annotations

from datetime import UTC, datetime

from aiohttp import web

from samad_ivr.admin.jalali import (
    WEEKDAY_NAMES,
    InputError,
    JalaliMonth,
    fa_digits,
    iso_jalali,
    normalise,
    parse_jalali_date,
    parse_time,
)
from samad_ivr.storage.audit import AuditRepository
from samad_ivr.storage.deadlines import DeadlineRecomputer
from samad_ivr.storage.holidays import HolidayRepository, NoSuchClosedDay
from samad_ivr.storage.lifecycle import Actor
from samad_ivr.storage.roster_edit import RosterEditor
from samad_ivr.web.admin.common import (
    AdminContext,
    admin_center,
    deps,
    form_fields,
    not_found,
    pool,
    redirect,
    render,
)

# Persian week order (Saturday first) as date.weekday() numbers (Monday = 0).
PERSIAN_WEEK = (5, 6, 0, 1, 2, 3, 4)
MAX_HOLIDAY_NAME = 200


def _deadlines(request: web.Request) -> DeadlineRecomputer:
    return DeadlineRecomputer(pool(request), deps(request).settings.lifecycle.deadline)


def _holidays(request: web.Request) -> HolidayRepository:
    return HolidayRepository(pool(request), _deadlines(request))


def weekday_choices(weekend: frozenset[int]) -> list[tuple[int, str, bool]]:
    return [(n, WEEKDAY_NAMES[i], n in weekend) for i, n in enumerate(PERSIAN_WEEK)]


async def _settings_page(
    request: web.Request, ctx: AdminContext, errors: list[str] | None = None, status: int = 200
) -> web.Response:
    return render(
        request, "admin/settings.html", ctx, status=status, errors=errors or [],
        weekdays=weekday_choices(ctx.center.weekend_days),
        duty_start=ctx.center.duty_start.strftime("%H:%M"),
        duty_end=ctx.center.duty_end.strftime("%H:%M"),
    )  # fmt: skip


async def settings_page(request: web.Request) -> web.Response:
    return await _settings_page(request, await admin_center(request))


async def save_weekend(request: web.Request) -> web.Response:
    ctx = await admin_center(request)
    form = await request.post()
    chosen: set[int] = set()
    for value in form.getall("weekend", []):
        text = normalise(value) if isinstance(value, str) else ""
        if not text.isdigit() or int(text) not in range(7):
            return await _settings_page(request, ctx, ["روز آخر هفتهٔ نامعتبر فرستاده شد."], 422)
        chosen.add(int(text))
    if len(chosen) == 7:
        return await _settings_page(request, ctx, ["همهٔ روزهای هفته نمی‌توانند تعطیل باشند."], 422)
    editor = RosterEditor(pool(request), _deadlines(request))
    await editor.set_weekend(ctx.center.id, frozenset(chosen), ctx.actor)
    raise redirect(ctx.url("/settings"), "settings_saved")


async def save_window(request: web.Request) -> web.Response:
    ctx = await admin_center(request)
    fields = await form_fields(request)
    try:
        start = parse_time(fields.get("duty_start", ""), "ساعت شروع کشیک")
        end = parse_time(fields.get("duty_end", ""), "ساعت پایان کشیک")
        if end <= start:
            raise InputError("ساعت پایان کشیک باید بعد از ساعت شروع آن باشد.")
    except InputError as exc:
        return await _settings_page(request, ctx, [str(exc)], 422)
    await RosterEditor(pool(request)).set_duty_window(ctx.center.id, start, end, ctx.actor)
    raise redirect(ctx.url("/settings"), "settings_saved")


def _year(request: web.Request, ctx: AdminContext) -> int:
    text = normalise(request.query.get("year", ""))
    if text.isdigit() and 1350 <= int(text) <= 1500:
        return int(text)
    return JalaliMonth.of(datetime.now(UTC).astimezone(ctx.tz).date()).year


async def _holidays_page(
    request: web.Request,
    ctx: AdminContext,
    year: int,
    errors: list[str] | None = None,
    form: dict[str, str] | None = None,
    status: int = 200,
) -> web.Response:
    first, last = JalaliMonth(year, 1).first, JalaliMonth(year, 12).last
    days = await HolidayRepository(pool(request)).list_days(ctx.center.id, first, last)
    return render(
        request, "admin/holidays.html", ctx, status=status, errors=errors or [],
        days=days, year=year, year_text=fa_digits(year), iso=iso_jalali,
        form={"date": "", "name": "", **(form or {})},
    )  # fmt: skip


async def holidays_page(request: web.Request) -> web.Response:
    ctx = await admin_center(request)
    return await _holidays_page(request, ctx, _year(request, ctx))


def _name(fields: dict[str, str]) -> str:
    name = " ".join(normalise(fields.get("name", "")).split())
    if not name:
        raise InputError("نام روز تعطیل را وارد کنید.")
    if len(name) > MAX_HOLIDAY_NAME:
        raise InputError("نام روز تعطیل بیش از ۲۰۰ نویسه است.")
    return name


def _path_day(request: web.Request) -> datetime | None:
    try:
        return datetime.combine(parse_jalali_date(request.match_info["day"]), datetime.min.time())
    except InputError:
        return None


async def add_holiday(request: web.Request) -> web.Response:
    ctx = await admin_center(request)
    fields = await form_fields(request)
    try:
        day = parse_jalali_date(fields.get("date", ""))
        name = _name(fields)
    except InputError as exc:
        return await _holidays_page(request, ctx, _year(request, ctx), [str(exc)], fields, 422)
    repo = _holidays(request)
    before = {c.day: c.name for c in await repo.list_days(ctx.center.id, day, day)}.get(day)
    await repo.add(ctx.center.id, day, name, Actor.of(ctx.user))
    await AuditRepository(pool(request)).record(
        ctx.actor, ctx.center.id, "holiday_add",
        None if before is None else {"day": day.isoformat(), "name": before},
        {"day": day.isoformat(), "name": name},
    )  # fmt: skip
    raise redirect(ctx.url(f"/holidays?year={JalaliMonth.of(day).year}"), "holiday_saved")


async def rename_holiday(request: web.Request) -> web.Response:
    ctx = await admin_center(request)
    when = _path_day(request)
    if when is None:
        raise not_found(request)
    day = when.date()
    fields = await form_fields(request)
    year = JalaliMonth.of(day).year
    try:
        name = _name(fields)
    except InputError as exc:
        return await _holidays_page(request, ctx, year, [str(exc)], status=422)
    repo = HolidayRepository(pool(request))
    before = {c.day: c.name for c in await repo.list_days(ctx.center.id, day, day)}.get(day)
    try:
        await repo.rename(ctx.center.id, day, name)
    except NoSuchClosedDay:
        raise not_found(request) from None
    await AuditRepository(pool(request)).record(
        ctx.actor, ctx.center.id, "holiday_rename",
        {"day": day.isoformat(), "name": before}, {"day": day.isoformat(), "name": name},
    )  # fmt: skip
    raise redirect(ctx.url(f"/holidays?year={year}"), "holiday_saved")


async def remove_holiday(request: web.Request) -> web.Response:
    ctx = await admin_center(request)
    when = _path_day(request)
    if when is None:
        raise not_found(request)
    day = when.date()
    repo = _holidays(request)
    before = {c.day: c.name for c in await repo.list_days(ctx.center.id, day, day)}.get(day)
    if not await repo.remove(ctx.center.id, day, Actor.of(ctx.user)):
        raise not_found(request)
    await AuditRepository(pool(request)).record(
        ctx.actor, ctx.center.id, "holiday_remove", {"day": day.isoformat(), "name": before}, None
    )
    raise redirect(ctx.url(f"/holidays?year={JalaliMonth.of(day).year}"), "holiday_removed")


def setup_center_routes(app: web.Application) -> None:
    base = "/admin/centers/{center_id}"
    app.router.add_get(base + "/settings", settings_page)
    app.router.add_post(base + "/settings/weekend", save_weekend)
    app.router.add_post(base + "/settings/window", save_window)
    app.router.add_get(base + "/holidays", holidays_page)
    app.router.add_post(base + "/holidays", add_holiday)
    app.router.add_post(base + "/holidays/{day}/rename", rename_holiday)
    app.router.add_post(base + "/holidays/{day}/delete", remove_holiday)
