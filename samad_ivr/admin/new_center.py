"""A new province center from what a superuser typed (console form or `samad-ivr center add`).

`parse_new_center` checks every field and raises `InputError` with a Persian message that
names the field; Persian digits are accepted everywhere (۰۹:۰۰).  The time zone must be
one of the IANA zones this machine's zoneinfo knows (never a path).
"""

from __future__ import annotations

import re
import zoneinfo
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import time
from functools import cache

from samad_ivr.admin.jalali import WEEKDAY_NAMES, InputError, normalise, parse_time

__all__ = [
    "DEFAULT_TIMEZONE",
    "PERSIAN_WEEK",
    "NewCenter",
    "parse_new_center",
    "weekday_name",
]  # fmt: skip

# Lower-case ASCII: a code becomes SAMAD_CENTER and a queue becomes a queues.conf section.
CODE_RE = re.compile(r"[a-z][a-z0-9_-]{1,39}")
_PERSIAN_LETTER = re.compile(r"[\u0621-\u064A\u067E\u0686\u0698\u06A9\u06AF\u06CC]")
MAX_NAME = 100
DEFAULT_TIMEZONE = "Asia/Tehran"
# Persian week order (Saturday first) as date.weekday() numbers (Monday = 0).
PERSIAN_WEEK = (5, 6, 0, 1, 2, 3, 4)
# Section names queues.conf gives a meaning of its own.
_RESERVED_QUEUES = frozenset({"general"})


@dataclass(frozen=True, slots=True)
class NewCenter:
    code: str
    name: str
    timezone: str
    duty_start: time
    duty_end: time
    weekend_days: frozenset[int]  # Monday = 0
    queue_name: str


def weekday_name(number: int) -> str:
    """The Persian name of date.weekday() `number`."""
    return WEEKDAY_NAMES[PERSIAN_WEEK.index(number)]


@cache
def _zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def _code(raw: str, what: str, example: str) -> str:
    text = normalise(raw).lower()
    if not CODE_RE.fullmatch(text):
        raise InputError(
            f"{what} «{raw}» نامعتبر است؛ ۲ تا ۴۰ حرف کوچک لاتین، رقم، - یا _ "
            f"که با حرف شروع شود (مثلاً {example})."
        )
    return text


def _weekend(values: Iterable[str]) -> frozenset[int]:
    chosen: set[int] = set()
    for value in values:
        text = normalise(value)
        if not text.isdigit() or int(text) not in range(7):
            raise InputError(f"روز آخر هفتهٔ «{value}» نامعتبر است (۰ دوشنبه … ۶ یکشنبه).")
        chosen.add(int(text))
    if len(chosen) == 7:
        raise InputError("همهٔ روزهای هفته نمی‌توانند تعطیل باشند.")
    return frozenset(chosen)


def parse_new_center(fields: Mapping[str, str], weekend: Iterable[str]) -> NewCenter:
    """Fields `code`, `name`, `timezone`, `duty_start`, `duty_end`, `queue_name` (empty:
    `samad-<code>`); `weekend`: date.weekday() numbers (Friday = 4)."""
    code = _code(fields.get("code", ""), "رمز مرکز", "kermanshah")
    name = " ".join(normalise(fields.get("name", "")).split())
    if not name:
        raise InputError("نام مرکز را وارد کنید (مثلاً «مرکز سامد کرمانشاه»).")
    if len(name) > MAX_NAME or not _PERSIAN_LETTER.search(name):
        raise InputError(f"نام مرکز باید فارسی و حداکثر {MAX_NAME} نویسه باشد.")
    tz = normalise(fields.get("timezone", "")) or DEFAULT_TIMEZONE
    if tz not in _zones():
        raise InputError(f"منطقهٔ زمانی «{tz}» شناخته نیست؛ مثلاً Asia/Tehran بنویسید.")
    start = parse_time(fields.get("duty_start", ""), "ساعت شروع کشیک")
    end = parse_time(fields.get("duty_end", ""), "ساعت پایان کشیک")
    if end <= start:
        raise InputError("ساعت پایان کشیک باید بعد از ساعت شروع آن باشد.")
    queue_raw = fields.get("queue_name", "").strip()
    queue = _code(queue_raw, "نام صف", "samad-kermanshah") if queue_raw else f"samad-{code}"
    if queue in _RESERVED_QUEUES:
        raise InputError(f"نام صف «{queue}» در Asterisk رزرو است؛ نام دیگری بدهید.")
    return NewCenter(code, name, tz, start, end, _weekend(weekend), queue)
