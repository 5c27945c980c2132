"""How a duty session reads for people: Jalali dates, Persian digits, SMS wording."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from persiantools.digits import en_to_fa
from persiantools.jdatetime import JalaliDate

from samad_ivr.domain.spoken import SPOKEN_WORDS, format_jalali_date
from samad_ivr.storage.notices import PublicSession

__all__ = [
    "DEFAULT_OPTOUT_WORD",
    "SessionText",
    "announcement_sms",
    "confirmation_sms",
    "fa_digits",
    "jalali_long_date",
    "session_text",
]

# The word a citizen texts back to stop our SMS (handled by the SMS module's opt-out).
DEFAULT_OPTOUT_WORD = "لغو"


def fa_digits(value: object) -> str:
    """Any value as text with Persian digits."""
    return str(en_to_fa(str(value)))


def jalali_long_date(day: date) -> str:
    """``day`` as «شنبه ۲ فروردین ۱۴۰۴» (weekday, day, month name, year)."""
    jalali = JalaliDate(day)  # type: ignore[no-untyped-call]
    weekday = SPOKEN_WORDS[f"weekdays/{day.weekday()}"]
    month = SPOKEN_WORDS[f"months/{jalali.month}"]
    return f"{weekday} {fa_digits(jalali.day)} {month} {fa_digits(jalali.year)}"


def _clock(dt: datetime) -> str:
    return fa_digits(f"{dt.hour:02d}:{dt.minute:02d}")


@dataclass(frozen=True, slots=True)
class SessionText:
    """A session's fields as people read them (Persian digits, local wall time)."""

    long_date: str  # شنبه ۲ فروردین ۱۴۰۴
    short_date: str  # ۱۴۰۴/۰۱/۰۲
    starts: str  # ۰۹:۰۰
    ends: str  # ۱۱:۰۰


def session_text(session: PublicSession) -> SessionText:
    start = session.starts_at.astimezone(session.tz)
    end = session.ends_at.astimezone(session.tz)
    return SessionText(
        long_date=jalali_long_date(start.date()),
        short_date=format_jalali_date(start.date()),
        starts=_clock(start),
        ends=_clock(end),
    )


def announcement_sms(
    session: PublicSession,
    optout_word: str = DEFAULT_OPTOUT_WORD,
    together: Sequence[PublicSession] = (),
) -> str:
    """The SMS telling a subscriber who answers 111 at which session.

    ``together`` are the other desks on duty in the same session (slots of the center
    overlapping it): one SMS names them all, from the first start to the last end.
    Times are wall-clock times of the center; the opt-out instruction is always last so
    an operator's truncation never hides the rest of the message.
    """
    sessions = [session, *together]
    text = session_text(session)
    ends = session_text(max(sessions, key=lambda s: s.ends_at)).ends
    names = [s.official_title + (f" {s.agency}" if s.agency else "") for s in sessions]
    names = list(dict.fromkeys(names))  # two desks of one agency are named once
    who = names[0] if len(names) == 1 else "، ".join(names[:-1]) + " و " + names[-1]
    verb = "پاسخگوی تماس‌های شما با شماره ۱۱۱ است"
    if len(names) > 1:
        verb = "با هم پاسخگوی تماس‌های شما با شماره ۱۱۱ هستند"
    return (
        f"سامد ۱۱۱: {who} {text.long_date} ساعت {text.starts} تا {ends} "
        f"در {session.center_name} {verb}.\n"
        f"برای لغو «{optout_word}» بفرستید."
    )


def confirmation_sms(code: str) -> str:
    """The SMS carrying a web sign-up's confirmation code (short: one UCS-2 part)."""
    return f"سامد ۱۱۱: کد تأیید اشتراک اطلاع‌رسانی: {code}"
