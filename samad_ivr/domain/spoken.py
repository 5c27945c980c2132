"""Values as spoken Persian: sequences of prompt names, and Jalali text for people.

Asterisk's ``SayNumber`` has no Persian grammar, so numbers and dates are assembled
here from word recordings. Prompt names carry no language prefix or extension: the
channel language ``fa`` makes Asterisk look in ``sounds/fa/``. ``SPOKEN_WORDS`` is the
manifest the audio generator records, so every name returned here must be a key of it.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from datetime import date, datetime, time
from types import MappingProxyType
from zoneinfo import ZoneInfo

from persiantools.digits import en_to_fa
from persiantools.jdatetime import JalaliDate

from samad_ivr.domain.errors import NaiveInstant, NotSpeakable

__all__ = [
    "AND",
    "HOUR",
    "MINUTE",
    "SPOKEN_WORDS",
    "NotSpeakable",
    "digit_prompts",
    "format_jalali",
    "format_jalali_date",
    "jalali_date_prompts",
    "number_prompts",
    "queue_position_prompts",
    "time_prompts",
    "who_answers_prompts",
]

AND = "digits/and"
HOUR = "time/hour"
MINUTE = "time/minute"
_THOUSAND = "digits/1000"
_MAX_SPOKEN = 9999

_ZWNJ = "\u200c"

_UNITS = (
    "صفر", "یک", "دو", "سه", "چهار", "پنج", "شش", "هفت", "هشت", "نه", "ده",
    "یازده", "دوازده", "سیزده", "چهارده", "پانزده", "شانزده", "هفده", "هجده", "نوزده", "بیست",
)  # fmt: skip
_TENS = {30: "سی", 40: "چهل", 50: "پنجاه", 60: "شصت", 70: "هفتاد", 80: "هشتاد", 90: "نود"}
_HUNDREDS = ("صد", "دویست", "سیصد", "چهارصد", "پانصد", "ششصد", "هفتصد", "هشتصد", "نهصد")
_MONTHS = (
    "فروردین", "اردیبهشت", "خرداد", "تیر", "مرداد", "شهریور",
    "مهر", "آبان", "آذر", "دی", "بهمن", "اسفند",
)  # fmt: skip
# Indexed by date.weekday() (Monday=0), not by the Persian week that starts on Saturday,
# so callers can use the stdlib value directly.
_WEEKDAYS = (
    "دوشنبه", f"سه{_ZWNJ}شنبه", "چهارشنبه", "پنجشنبه", "جمعه", "شنبه", "یکشنبه",
)  # fmt: skip


def _build_words() -> dict[str, str]:
    words = {f"digits/{n}": word for n, word in enumerate(_UNITS)}
    words.update({f"digits/{n}": word for n, word in _TENS.items()})
    words.update({f"digits/{(i + 1) * 100}": word for i, word in enumerate(_HUNDREDS)})
    words[_THOUSAND] = "هزار"
    words[AND] = "و"
    words.update({f"months/{i + 1}": name for i, name in enumerate(_MONTHS)})
    words.update({f"weekdays/{i}": name for i, name in enumerate(_WEEKDAYS)})
    words[HOUR] = "ساعت"
    words[MINUTE] = "دقیقه"
    return words


SPOKEN_WORDS: Mapping[str, str] = MappingProxyType(_build_words())


def digit_prompts(code: str) -> list[str]:
    """Prompts reading ASCII digits one by one, as codes and phone numbers are read.

    Raises :class:`NotSpeakable` for anything but ASCII digits (including the empty
    string): normalising Persian digits belongs at the edge, not here.
    """
    if not code or not (code.isascii() and code.isdigit()):
        raise NotSpeakable("only ASCII digits can be read digit by digit")
    return [f"digits/{char}" for char in code]


def _below_thousand(n: int) -> list[str]:
    """The additive parts of 1..999, each one prompt, before joining with "و"."""
    hundreds, rest = divmod(n, 100)
    parts = [f"digits/{hundreds * 100}"] if hundreds else []
    if 0 < rest <= 20:
        parts.append(f"digits/{rest}")
    elif rest > 20:
        tens, ones = divmod(rest, 10)
        parts.append(f"digits/{tens * 10}")
        if ones:
            parts.append(f"digits/{ones}")
    return parts


def number_prompts(n: int) -> list[str]:
    """Prompts speaking ``n`` (0..9999) with Persian grammar.

    225 → دویست و بیست و پنج; 1405 → هزار و چهارصد و پنج (not "یک هزار"); 2000 →
    دو هزار. Raises :class:`NotSpeakable` outside 0..9999.
    """
    if isinstance(n, bool) or not 0 <= n <= _MAX_SPOKEN:
        raise NotSpeakable(f"can only speak whole numbers 0..{_MAX_SPOKEN}")
    if n == 0:
        return ["digits/0"]
    thousands, rest = divmod(n, 1000)
    # Each group is spoken as a unit; "و" goes between groups, never inside "دو هزار".
    groups: list[list[str]] = []
    if thousands == 1:
        groups.append([_THOUSAND])
    elif thousands:
        groups.append([f"digits/{thousands}", _THOUSAND])
    groups.extend([part] for part in _below_thousand(rest))
    prompts = list(groups[0])
    for group in groups[1:]:
        prompts.append(AND)
        prompts.extend(group)
    return prompts


WHO_INTRO = "oncall-intro"  # "هم‌اکنون پاسخگوی شما"
WHO_COLLEAGUES = "oncall-colleagues"  # "... نفر از همکاران ایشان"
WHO_CONNECTING = "oncall-connecting"


def who_answers_prompts(officials: Sequence[str], *, spell_out: int = 3) -> list[str]:
    """The prompts of "answering you today: A, B and C", from each official's own prompt.

    Up to ``spell_out`` officials are named one by one ("و" before the last); more are
    "the first one and N of their colleagues", so the caller hears who leads the desks
    without a roll call.  Raises :class:`NotSpeakable` for an empty list.
    """
    if not officials:
        raise NotSpeakable("nobody on duty to announce")
    prompts = [WHO_INTRO]
    if len(officials) <= spell_out:
        for i, official in enumerate(officials):
            if i and i == len(officials) - 1:
                prompts.append(AND)
            prompts.append(official)
    else:
        prompts += [officials[0], AND, *number_prompts(len(officials) - 1), WHO_COLLEAGUES]
    prompts.append(WHO_CONNECTING)
    return prompts


QUEUE_NEXT = "queue-youarenext"  # "شما نفر بعدی هستید."
QUEUE_THERE_ARE = "queue-thereare"  # "در حال حاضر"
QUEUE_AHEAD = "queue-callswaiting"  # "تماس پیش از شما در انتظار است."
QUEUE_WAIT = "queue-holdtime"  # "زمان تقریبی انتظار شما"
QUEUE_MINUTES = "queue-minutes"  # "دقیقه"
QUEUE_UNDER_A_MINUTE = "queue-under-a-minute"  # "کمتر از یک دقیقه است."


def queue_position_prompts(position: int, wait_seconds: float) -> list[str]:
    """A waiting caller's place and estimated wait, in Persian grammar.

    ``position`` 1 is the head of the queue ("you are next"); otherwise the number of
    callers ahead is spoken ("three calls are waiting before you").  The wait is rounded
    to whole minutes ("about five minutes"), under a minute said as such.  Raises
    :class:`NotSpeakable` for a position below 1 or a queue longer than we can speak.
    """
    if isinstance(position, bool) or position < 1:
        raise NotSpeakable("a queue position starts at 1")
    prompts = [QUEUE_NEXT] if position == 1 else [
        QUEUE_THERE_ARE, *number_prompts(position - 1), QUEUE_AHEAD
    ]  # fmt: skip
    minutes = round(max(0.0, wait_seconds) / 60)
    if minutes < 1:
        return [*prompts, QUEUE_WAIT, QUEUE_UNDER_A_MINUTE]
    return [*prompts, QUEUE_WAIT, *number_prompts(min(minutes, _MAX_SPOKEN)), QUEUE_MINUTES]


def _jalali(day: date) -> JalaliDate:
    # persiantools' constructor is unannotated; this is the one place that calls it.
    return JalaliDate(day)  # type: ignore[no-untyped-call]


def jalali_date_prompts(day: date) -> list[str]:
    """Prompts reading a Gregorian date as Jalali: weekday, day, month name, year.

    2025-03-20 → پنجشنبه، سی، اسفند، هزار و چهارصد و سه.
    """
    jalali = _jalali(day)
    return [
        f"weekdays/{day.weekday()}",
        *number_prompts(jalali.day),
        f"months/{jalali.month}",
        *number_prompts(jalali.year),
    ]


def time_prompts(t: time) -> list[str]:
    """Prompts reading a wall-clock time: "ساعت نه", "ساعت ده و سی دقیقه".

    Hours are read on the 24-hour clock, as official announcements do; seconds are
    dropped.
    """
    prompts = [HOUR, *number_prompts(t.hour)]
    if t.minute:
        prompts += [AND, *number_prompts(t.minute), MINUTE]
    return prompts


# Jobs format the same few hundred days for many thousands of rows; the answer never changes.
@functools.lru_cache(maxsize=4096)
def format_jalali_date(day: date) -> str:
    """``day`` as Jalali ``YYYY/MM/DD`` written in Persian digits (1405/09/07 style)."""
    jalali = _jalali(day)
    return en_to_fa(f"{jalali.year:04d}/{jalali.month:02d}/{jalali.day:02d}")


def format_jalali(dt: datetime, tz: ZoneInfo) -> str:
    """Aware ``dt`` in ``tz`` as ``1405/09/07 ساعت 09:00``, all digits Persian (for people).

    Raises :class:`NaiveInstant` for a naive ``dt``: its wall time is ambiguous.
    """
    if dt.tzinfo is None or dt.utcoffset() is None:
        raise NaiveInstant("format_jalali() needs a timezone-aware datetime")
    local = dt.astimezone(tz)
    clock = en_to_fa(f"{local.hour:02d}:{local.minute:02d}")
    return f"{format_jalali_date(local.date())} ساعت {clock}"
