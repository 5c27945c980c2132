"""Jalali dates and wall-clock times as admins type and read them.

Input is normalised first (Persian and Arabic-Indic digits to ASCII, Arabic ي/ك to
Persian ی/ک) and every parse error carries a Persian message that the pages show as is.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from persiantools import characters, digits
from persiantools.jdatetime import JalaliDate

__all__ = [
    "MONTH_NAMES",
    "WEEKDAY_NAMES",
    "InputError",
    "JalaliMonth",
    "fa_digits",
    "jalali",
    "jalali_text",
    "local_range",
    "normalise",
    "parse_jalali_date",
    "parse_month",
    "parse_time",
    "time_text",
]

MONTH_NAMES = (
    "فروردین", "اردیبهشت", "خرداد", "تیر", "مرداد", "شهریور",
    "مهر", "آبان", "آذر", "دی", "بهمن", "اسفند",
)  # fmt: skip
# Indexed by the Persian week (Saturday = 0), the order of the calendar's columns.
WEEKDAY_NAMES = (
    "شنبه", "یکشنبه", "دوشنبه", "سه\u200cشنبه", "چهارشنبه", "پنجشنبه", "جمعه",
)  # fmt: skip

_DATE_RE = re.compile(r"(\d{4})\s*[-/.]\s*(\d{1,2})\s*[-/.]\s*(\d{1,2})")
_MONTH_RE = re.compile(r"(\d{4})\s*[-/.]\s*(\d{1,2})")
_TIME_RE = re.compile(r"(\d{1,2})(?:\s*[:٫.]\s*(\d{2}))?")
# Years a person plausibly plans a roster for; also keeps persiantools in its range.
_MIN_YEAR, _MAX_YEAR = 1350, 1500


class InputError(ValueError):
    """An admin's input is invalid; ``str(error)`` is a Persian message for the page."""


def normalise(text: str) -> str:
    """Persian/Arabic digits to ASCII, Arabic letters to Persian, outer spaces trimmed."""
    text = digits.fa_to_en(digits.ar_to_fa(text))
    return str(characters.ar_to_fa(text)).strip()


def fa_digits(value: object) -> str:
    """``value`` as text with Persian digits, for people."""
    return str(digits.en_to_fa(str(value)))


def jalali(day: date) -> JalaliDate:
    return JalaliDate(day)  # type: ignore[no-untyped-call]


def jalali_text(day: date) -> str:
    """``1403/12/30`` in Persian digits."""
    j = jalali(day)
    return fa_digits(f"{j.year:04d}/{j.month:02d}/{j.day:02d}")


# The search API converts every row's date (50 a page, mostly a handful of days), and
# persiantools' conversion costs more than the rest of the row; the answer never changes.
@functools.lru_cache(maxsize=4096)
def iso_jalali(day: date) -> str:
    """``1403-12-30`` in ASCII digits: the value of form fields and URLs."""
    j = jalali(day)
    return f"{j.year:04d}-{j.month:02d}-{j.day:02d}"


def time_text(t: time) -> str:
    return fa_digits(f"{t.hour:02d}:{t.minute:02d}")


def _to_gregorian(year: int, month: int, day: int, raw: str) -> date:
    if not _MIN_YEAR <= year <= _MAX_YEAR:
        raise InputError(f"سال «{fa_digits(year)}» در بازهٔ ۱۳۵۰ تا ۱۵۰۰ نیست.")
    if not 1 <= month <= 12:
        raise InputError(f"ماه «{fa_digits(month)}» باید بین ۱ و ۱۲ باشد.")
    last = int(JalaliDate.days_in_month(month, year))
    if not 1 <= day <= last:
        raise InputError(
            f"تاریخ «{raw}» وجود ندارد: {MONTH_NAMES[month - 1]} {fa_digits(year)} "
            f"{fa_digits(last)} روز دارد."
        )
    gregorian: date = JalaliDate(year, month, day).to_gregorian()  # type: ignore[no-untyped-call]
    return gregorian


def parse_jalali_date(raw: str) -> date:
    """``1403-12-30``, ``۱۴۰۳/۱۲/۳۰`` … → the Gregorian date; :class:`InputError` if invalid."""
    text = normalise(raw)
    if not text:
        raise InputError("تاریخ را وارد کنید (مثلاً ۱۴۰۴/۰۱/۱۵).")
    match = _DATE_RE.fullmatch(text)
    if match is None:
        raise InputError(f"تاریخ «{raw}» نامعتبر است؛ به شکل ۱۴۰۴/۰۱/۱۵ بنویسید.")
    return _to_gregorian(int(match[1]), int(match[2]), int(match[3]), raw)


def parse_time(raw: str, what: str = "ساعت") -> time:
    """``9``, ``09:30``, ``۰۹:۳۰`` → a time; :class:`InputError` with ``what`` in the message."""
    text = normalise(raw)
    if not text:
        raise InputError(f"{what} را وارد کنید (مثلاً ۰۹:۰۰).")
    match = _TIME_RE.fullmatch(text)
    if match is None:
        raise InputError(f"{what} «{raw}» نامعتبر است؛ به شکل ۰۹:۳۰ بنویسید.")
    hour, minute = int(match[1]), int(match[2] or 0)
    if hour > 23 or minute > 59:
        raise InputError(f"{what} «{raw}» وجود ندارد.")
    return time(hour, minute)


@dataclass(frozen=True, slots=True)
class JalaliMonth:
    year: int
    month: int

    @classmethod
    def of(cls, day: date) -> JalaliMonth:
        j = jalali(day)
        return cls(int(j.year), int(j.month))

    @property
    def days(self) -> int:
        return int(JalaliDate.days_in_month(self.month, self.year))

    @property
    def first(self) -> date:
        return _to_gregorian(self.year, self.month, 1, "")

    @property
    def last(self) -> date:
        return self.first + timedelta(days=self.days - 1)

    @property
    def name(self) -> str:
        return f"{MONTH_NAMES[self.month - 1]} {fa_digits(self.year)}"

    @property
    def key(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    def shifted(self, months: int) -> JalaliMonth:
        index = self.year * 12 + self.month - 1 + months
        return JalaliMonth(index // 12, index % 12 + 1)


def parse_month(raw: str) -> JalaliMonth:
    """``1403-12`` / ``۱۴۰۳/۱۲`` → a Jalali month; :class:`InputError` if invalid."""
    text = normalise(raw)
    match = _MONTH_RE.fullmatch(text)
    if match is None:
        raise InputError(f"ماه «{raw}» نامعتبر است؛ به شکل ۱۴۰۴/۰۱ بنویسید.")
    year, month = int(match[1]), int(match[2])
    _to_gregorian(year, month, 1, raw)  # range checks with Persian messages
    return JalaliMonth(year, month)


def local_range(first: date, last: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """Aware instants bounding the local days ``first``..``last`` (half-open)."""
    start = datetime.combine(first, time(), tzinfo=tz)
    end = datetime.combine(last + timedelta(days=1), time(), tzinfo=tz)
    return start, end


FROM_AFTER_TO = "تاریخ «از» باید پیش از تاریخ «تا» باشد."


def form_instants(
    values: Mapping[str, str], tz: ZoneInfo
) -> tuple[datetime | None, datetime | None]:
    """The instants bounding a filter form's optional Jalali days `from`..`to` in `tz`
    (half-open; None for a day left empty); InputError when `from` is after `to`."""
    start = end = None
    if normalise(values.get("from", "")):
        first = parse_jalali_date(values["from"])
        start = local_range(first, first, tz)[0]
    if normalise(values.get("to", "")):
        last = parse_jalali_date(values["to"])
        end = local_range(last, last, tz)[1]
    if start and end and start >= end:
        raise InputError(FROM_AFTER_TO)
    return start, end
