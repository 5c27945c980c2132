"""The agency list's filter form (HTML) or query string (API) as an `AgencyQuery`.

Input is normalised first (Persian/Arabic digits, Arabic letters); dates are Jalali days
of registration in the center's time zone, inclusive at both ends.  Invalid input
raises `InputError` with a Persian message.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from datetime import date
from zoneinfo import ZoneInfo

from samad_ivr.admin.jalali import InputError, fa_digits, form_instants, normalise
from samad_ivr.domain.lifecycle import Status
from samad_ivr.storage.agency_portal import MAX_LIMIT, AgencyQuery, DueCursor

__all__ = ["FILTER_FIELDS", "LISTED_STATUSES", "parse_agency_filters"]

FILTER_FIELDS = ("status", "topic", "overdue", "tracking_code", "from", "to")
# What an agency's list can hold: requests that were assigned at least once.
LISTED_STATUSES = (
    Status.ASSIGNED, Status.ESCALATED, Status.ANSWERED, Status.REOPENED, Status.CLOSED,
)  # fmt: skip
_TRACKING_RE = re.compile(r"[0-9]{10}")
_MAX_TEXT = 100
PAGE_SIZE = 50


def _flag(text: str) -> bool:
    return normalise(text) in ("1", "true", "on")


def parse_agency_filters(
    values: Mapping[str, str],
    *,
    agency_id: int,
    topics: Collection[str],
    tz: ZoneInfo,
    today: date,
) -> AgencyQuery:
    """Validate `values` (as submitted) into one page of `agency_id`'s list."""
    if any(len(v) > _MAX_TEXT for v in values.values()):
        raise InputError("یکی از مقادیر جست‌وجو بیش از حد طولانی است.")
    status = None
    status_text = normalise(values.get("status", ""))
    if status_text:
        if status_text not in {s.value for s in LISTED_STATUSES}:
            raise InputError(f"وضعیت «{values['status']}» شناخته نیست.")
        status = Status(status_text)
    topic = normalise(values.get("topic", "")) or None
    if topic is not None and topic not in topics:
        raise InputError(f"موضوع «{values['topic']}» در فهرست موضوع‌های استان نیست.")
    code = normalise(values.get("tracking_code", "")) or None
    if code is not None and not _TRACKING_RE.fullmatch(code):
        raise InputError("کد پیگیری باید ۱۰ رقم باشد.")
    created_from, created_before = form_instants(values, tz)
    after = None
    if values.get("cursor"):
        after = DueCursor.parse(values["cursor"])
        if after is None:
            raise InputError("نشانگر صفحه نامعتبر است؛ جست‌وجو را از نو آغاز کنید.")
    limit = PAGE_SIZE
    limit_text = normalise(values.get("limit", ""))
    if limit_text:
        if not limit_text.isascii() or not limit_text.isdigit() or len(limit_text) > 4:
            raise InputError("تعداد در هر صفحه باید یک عدد باشد.")
        limit = int(limit_text)
        if not 1 <= limit <= MAX_LIMIT:
            raise InputError(f"تعداد در هر صفحه باید بین ۱ و {fa_digits(MAX_LIMIT)} باشد.")
    return AgencyQuery(
        agency_id=agency_id,
        status=status,
        topic=topic,
        overdue_on=today if _flag(values.get("overdue", "")) else None,
        tracking_code=code,
        created_from=created_from,
        created_before=created_before,
        after=after,
        limit=limit,
    )
