"""Turn the search form (HTML) or query string (API) into a `CallSearch`.

Every input is normalised first (Persian/Arabic digits to ASCII, Arabic letters to
Persian); dates are Jalali days in the hotline's time zone, inclusive at both ends.
Invalid input raises `InputError` with a Persian message.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from samad_ivr.admin.jalali import (
    FROM_AFTER_TO,
    InputError,
    fa_digits,
    form_instants,
    iso_jalali,
    normalise,
    parse_jalali_date,
)
from samad_ivr.domain.lifecycle import Status
from samad_ivr.domain.phone import normalise_caller_id
from samad_ivr.storage.search import MAX_LIMIT, CallSearch, Cursor, Overdue

__all__ = [
    "FILTER_FIELDS", "STATUSES", "DashboardFilter", "DayRange", "int_field", "parse_dashboard",
    "parse_day_range", "parse_search",
]  # fmt: skip

STATUSES = tuple(s.value for s in Status)
FILTER_FIELDS = (
    "from", "to", "center_id", "official_id", "agency_id", "topic", "status", "overdue",
    "caller", "tracking_code", "live",
)  # fmt: skip
_YES = ("1", "true", "on")
_TRACKING_RE = re.compile(r"[0-9]{10}")
_MAX_TEXT = 100
DASHBOARD_DEFAULT_DAYS = 30
# A year of calls is still a bounded index range scan; more belongs in an export.
DASHBOARD_MAX_DAYS = 366


def int_field(values: Mapping[str, str], name: str, label: str) -> int | None:
    """A whole number typed in any digits; None when empty; InputError otherwise."""
    text = normalise(values.get(name, ""))
    if not text:
        return None
    if not text.isascii() or not text.isdigit() or len(text) > 9:
        raise InputError(f"{label} «{values[name]}» باید یک عدد باشد.")
    return int(text)


def parse_search(
    values: Mapping[str, str],
    *,
    visible_centers: frozenset[int] | None,
    tz: ZoneInfo,
    limit: int = 50,
    now: datetime | None = None,
) -> CallSearch:
    """Validate `values` (strings as submitted) into a search limited to `visible_centers`;
    "overdue" (1/true/on) keeps the requests overdue at `now` (default: this instant)."""
    if any(len(v) > _MAX_TEXT for v in values.values()):
        raise InputError("یکی از مقادیر جست‌وجو بیش از حد طولانی است.")
    started_from, started_before = form_instants(values, tz)
    status = normalise(values.get("status", "")) or None
    if status is not None and status not in STATUSES:
        raise InputError(f"وضعیت «{status}» شناخته نیست.")
    caller = None
    caller_text = normalise(values.get("caller", ""))
    if caller_text:
        caller = normalise_caller_id(caller_text).e164
        if caller is None:
            raise InputError(f"شمارهٔ تماس‌گیرنده «{values['caller']}» معتبر نیست.")
    code = normalise(values.get("tracking_code", "")) or None
    if code is not None and not _TRACKING_RE.fullmatch(code):
        raise InputError("کد پیگیری باید ۱۰ رقم باشد.")
    after = None
    if values.get("cursor"):
        after = Cursor.parse(values["cursor"])
        if after is None:
            raise InputError("نشانگر صفحه نامعتبر است؛ جست‌وجو را از نو آغاز کنید.")
    page_size = int_field(values, "limit", "تعداد") or limit
    if not 1 <= page_size <= MAX_LIMIT:
        raise InputError(f"تعداد در هر صفحه باید بین ۱ و {fa_digits(MAX_LIMIT)} باشد.")
    return CallSearch(
        visible_centers=visible_centers,
        started_from=started_from,
        started_before=started_before,
        center_id=int_field(values, "center_id", "استان"),
        official_id=int_field(values, "official_id", "مسئول"),
        agency_id=int_field(values, "agency_id", "دستگاه"),
        topic=normalise(values.get("topic", "")) or None,
        status=status,
        caller_e164=caller,
        tracking_code=code,
        overdue=Overdue(now or datetime.now(UTC), tz.key)
        if normalise(values.get("overdue", "")) in _YES
        else None,
        live_only=normalise(values.get("live", "")) in _YES,
        after=after,
        limit=page_size,
    )


@dataclass(frozen=True, slots=True)
class DayRange:
    """Whole local days `first`..`last`, inclusive."""

    first: date
    last: date

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1


def parse_day_range(values: Mapping[str, str], *, today: date) -> DayRange:
    """ "from" and "to" as Jalali days: without "to", up to `today`; without "from", the
    30 days up to "to"; "from" after "to" or more than 366 days is refused."""
    last = parse_jalali_date(values["to"]) if normalise(values.get("to", "")) else today
    if normalise(values.get("from", "")):
        first = parse_jalali_date(values["from"])
    else:
        first = last - timedelta(days=DASHBOARD_DEFAULT_DAYS - 1)
    if first > last:
        raise InputError(FROM_AFTER_TO)
    days = DayRange(first, last).days
    if days > DASHBOARD_MAX_DAYS:
        raise InputError(
            f"نمودارها و گزارش‌ها بازه‌ای تا {fa_digits(DASHBOARD_MAX_DAYS)} روز را نشان می‌دهند، "
            f"اما این بازه {fa_digits(days)} روز است؛ تاریخ «از» یا «تا» را نزدیک‌تر کنید."
        )
    return DayRange(first, last)


@dataclass(frozen=True, slots=True)
class DashboardFilter:
    """A search over whole local days `first`..`last`, and the filter values as the form
    should show them (the range filled in)."""

    search: CallSearch
    first: date
    last: date
    values: dict[str, str]


def parse_dashboard(
    values: Mapping[str, str],
    *,
    visible_centers: frozenset[int] | None,
    tz: ZoneInfo,
    today: date,
    now: datetime | None = None,
) -> DashboardFilter:
    """`parse_search` over a bounded range of days (`parse_day_range`)."""
    given = {k: v for k, v in values.items() if k in FILTER_FIELDS}
    days = parse_day_range(given, today=today)
    filled = {**given, "from": iso_jalali(days.first), "to": iso_jalali(days.last)}
    search = parse_search(filled, visible_centers=visible_centers, tz=tz, now=now)
    return DashboardFilter(search, days.first, days.last, filled)
