"""The case file partial (templates/requests/casefile.html) for every console.

A page loads a `CaseFile` (samad_ivr.storage.casefile), checks that its user may read
it (samad_ivr.web.request_access), and merges `casefile_context(case, now)` into its
template context; the template then includes "requests/casefile.html".  Everything a
person reads is Persian: Jalali dates in the center's time zone, Persian digits, the
deadline with how it was computed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from samad_ivr.admin.jalali import WEEKDAY_NAMES, fa_digits, jalali_text
from samad_ivr.domain.deadlines import WEEKEND_REASON, DeadlineMode
from samad_ivr.domain.lifecycle import ACTION_FA, STATUS_FA, Action, Status
from samad_ivr.storage.casefile import CaseFile
from samad_ivr.storage.lifecycle_rows import HistoryEntry

__all__ = ["casefile_context", "days_left_text", "local_text", "size_text", "status_fa"]

# Named jobs of request_history.job, as a person reads them.
JOB_FA: dict[str, str] = {
    "intake": "سامانه (ثبت پس از تماس)",
    "deadline_job": "سامانه (پایش مهلت)",
    "holiday_recompute": "سامانه (بازمحاسبهٔ مهلت پس از تغییر تعطیلات)",
    "citizen_ivr": "شهروند (تلفن ۱۱۱)",
    "citizen_sms": "شهروند (پیامک)",
    "satisfaction": "سامانه (نظرخواهی از شهروند)",
}
EVENT_FA: dict[str, str] = {
    "deadline_changed": "تغییر مهلت",
    "reminder_sent": "یادآوری به دستگاه",
    "long_stop": "گذشتن از مهلت نهایی و گزارش به مدیر استان",
    "satisfaction_asked": "پرسش از شهروند: آیا پاسخ قانع‌کننده بود؟",
    "satisfaction_call": "تماس با شهروند برای نظرخواهی",
    "satisfaction_reply": "نظر شهروند درباره پاسخ",
}
ROUTE_FA: dict[str, str] = {
    "desk": "میز پاسخ‌گویی", "deputy": "جانشین", "queue": "صف انتظار",
    "closed": "خارج از ساعت پاسخ‌گویی", "fallback": "پیام ضبط‌شده (اضطراری)",
    "satisfaction": "تماس پرسش رضایت", "callback": "تماس برگشتی به شهروند (به‌جای انتظار)",
}  # fmt: skip
DISPOSITION_FA: dict[str, str] = {
    "answered": "پاسخ داده شد", "message": "پیام گذاشت", "abandoned": "قطع پیش از پاسخ",
    "failed": "ناموفق", "busy": "مشغول", "no_answer": "بی‌پاسخ",
}  # fmt: skip
MODE_FA = {DeadlineMode.CALENDAR: "روز تقویمی", DeadlineMode.WORKING: "روز کاری"}
CONTENT_TYPE_FA = {"application/pdf": "PDF", "image/jpeg": "JPEG", "image/png": "PNG"}


def status_fa(status: Status | str | None) -> str:
    if status is None:
        return "—"
    try:
        return STATUS_FA[Status(status)]
    except ValueError:
        return str(status)


def local_text(instant: datetime | None, tz: ZoneInfo) -> str:
    """``۱۴۰۴/۰۱/۱۵ ساعت ۰۹:۳۰`` in the center's time zone."""
    if instant is None:
        return "—"
    local = instant.astimezone(tz)
    return f"{jalali_text(local.date())} ساعت {fa_digits(local.strftime('%H:%M'))}"


def day_text(day: date | None) -> str:
    """``دوشنبه ۱۴۰۴/۰۱/۱۸``."""
    if day is None:
        return "—"
    return f"{WEEKDAY_NAMES[(day.weekday() + 2) % 7]} {jalali_text(day)}"


def size_text(size: int) -> str:
    if size < 1024:
        return f"{fa_digits(size)} بایت"
    if size < 1024 * 1024:
        return f"{fa_digits(round(size / 1024))} کیلوبایت"
    mib = f"{size / 1024 / 1024:.1f}".removesuffix(".0")
    return f"{fa_digits(mib).replace('.', '٫')} مگابایت"


def days_left_text(left: int | None) -> str:
    """``۳ روز مانده``, ``امروز آخرین روز``, ``۲ روز گذشته``."""
    if left is None:
        return "—"
    if left > 0:
        return f"{fa_digits(left)} روز مانده"
    if left == 0:
        return "امروز آخرین روز مهلت"
    return f"{fa_digits(-left)} روز از مهلت گذشته"


def _actor(entry: HistoryEntry, name: str | None) -> str:
    if entry.job is not None:
        return JOB_FA.get(entry.job, f"سامانه ({entry.job})")
    return name or entry.username or "—"


def _what(entry: HistoryEntry) -> str:
    if entry.event != "transition":
        return EVENT_FA.get(entry.event, entry.event)
    if entry.action == "register":
        return "ثبت درخواست"
    try:
        return ACTION_FA[Action(entry.action or "")]
    except ValueError:
        return entry.action or "—"


@dataclass(frozen=True, slots=True)
class HistoryRow:
    at: str
    what: str
    actor: str
    from_status: str
    to_status: str
    note: str | None


@dataclass(frozen=True, slots=True)
class SkippedRow:
    day: str
    reason: str


def _skipped_reason(reason: str) -> str:
    return "تعطیل هفتگی" if reason == WEEKEND_REASON else reason


def casefile_context(case: CaseFile, now: datetime) -> dict[str, Any]:
    """What templates/requests/casefile.html reads, under the name `cf`."""
    tz = case.tz
    deadline = case.deadline
    left = case.days_left(now)
    history = [
        HistoryRow(
            at=local_text(h.entry.at, tz),
            what=_what(h.entry),
            actor=_actor(h.entry, h.actor_name),
            from_status=status_fa(h.entry.from_status) if h.entry.from_status else "",
            to_status=status_fa(h.entry.to_status) if h.entry.to_status else "",
            note=h.entry.note,
        )
        for h in case.history
    ]
    skipped = [
        SkippedRow(day_text(s.day), _skipped_reason(s.reason))
        for s in (deadline.skipped if deadline else ())
    ]
    return {
        "cf": {
            "case": case,
            "state": case.state,
            "status": status_fa(case.state.status),
            "when": lambda instant: local_text(instant, tz),
            "day": day_text,
            "size": size_text,
            "kind": CONTENT_TYPE_FA,
            "route": ROUTE_FA.get(case.call.route or "", "—"),
            "disposition": DISPOSITION_FA.get(case.call.disposition or "", "—"),
            "history": history,
            "deadline": deadline,
            "mode": MODE_FA[deadline.mode] if deadline else "",
            "skipped": skipped,
            "days_left": left,
            "days_left_text": days_left_text(left),
            "overdue": case.overdue(now),
            "fa": fa_digits,
        }
    }
