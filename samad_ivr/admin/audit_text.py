"""Audit rows as Persian sentences: Jalali dates, Persian digits, weekday names."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from samad_ivr.admin.jalali import WEEKDAY_NAMES, fa_digits, jalali_text, time_text

__all__ = ["ACTION_NAMES", "describe"]

ACTION_NAMES = {
    "slot_create": "ثبت نوبت",
    "slot_move": "جابه‌جایی نوبت",
    "slot_delete": "حذف نوبت",
    "slot_repeat": "ثبت نوبت‌های تکراری",
    "slot_import": "ورود نوبت‌ها از CSV",
    "holiday_add": "افزودن روز تعطیل",
    "holiday_remove": "حذف روز تعطیل",
    "holiday_rename": "تغییر عنوان روز تعطیل",
    "weekend_set": "تغییر روزهای آخر هفته",
    "duty_window_set": "تغییر ساعت کشیک",
    "center_create": "ایجاد مرکز",
    # Recorded by the triggers of migration 0022.
    "official_create": "افزودن مسئول",
    "official_update": "تغییر مسئول",
    "official_delete": "حذف مسئول",
    "agency_create": "افزودن دستگاه",
    "agency_update": "تغییر دستگاه",
    "agency_delete": "حذف دستگاه",
    "user_create": "ساخت حساب کاربری",
    "user_update": "تغییر حساب کاربری",
    "user_delete": "حذف حساب کاربری",
    "sms_template_create": "افزودن متن پیامک",
    "sms_template_update": "تغییر متن پیامک",
    "sms_template_delete": "حذف متن پیامک",
}


def _slot(value: dict[str, Any], tz: ZoneInfo) -> str:
    start = datetime.fromisoformat(value["starts_at"]).astimezone(tz)
    end = datetime.fromisoformat(value["ends_at"]).astimezone(tz)
    who = value.get("official") or f"مسئول {fa_digits(value.get('official_id', '?'))}"
    return f"{who}: {jalali_text(start.date())} {time_text(start.time())}–{time_text(end.time())}"


def _one(value: dict[str, Any], tz: ZoneInfo) -> str:
    if "starts_at" in value:
        return _slot(value, tz)
    if "day" in value:
        return f"{jalali_text(date.fromisoformat(value['day']))} «{value.get('name') or ''}»"
    if "weekend_days" in value:
        # Persian week order: Saturday (5) first.
        days = sorted(value["weekend_days"], key=lambda n: (n + 2) % 7)
        return "، ".join(WEEKDAY_NAMES[(n + 2) % 7] for n in days) or "بدون تعطیلی هفتگی"
    if "start" in value and "end" in value:
        start, end = time.fromisoformat(value["start"]), time.fromisoformat(value["end"])
        return f"{time_text(start)} تا {time_text(end)}"
    return fa_digits(value)


def describe(value: Any, tz: ZoneInfo, limit: int = 10) -> str:
    """A readable summary of an audit ``before``/``after`` value ("—" for none)."""
    if value is None:
        return "—"
    try:
        if isinstance(value, list):
            parts = [_one(v, tz) for v in value[:limit]]
            more = len(value) - limit
            if more > 0:
                parts.append(f"و {fa_digits(more)} مورد دیگر")
            return "؛ ".join(parts)
        if isinstance(value, dict):
            return _one(value, tz)
    except (KeyError, TypeError, ValueError):
        pass  # an unexpected shape is still shown, just not prettily
    return fa_digits(value)
