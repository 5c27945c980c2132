"""Caller ID normalisation, and phone numbers as people read them.

Caller ID reaches us from the trunk through Asterisk without any escaping, so it is
treated as hostile text: it is filtered to a strict alphabet before phonenumbers sees
it, and nothing here ever raises.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass

import phonenumbers

__all__ = ["CallerNumber", "display_phone", "normalise_caller_id"]

# Longer than any real number plus formatting; anything beyond is garbage or an attack,
# and refusing early keeps the per-call cost bounded.
_MAX_RAW_LENGTH = 64

# Persian (U+06F0..) and Arabic-Indic (U+0660..) digits arrive from some trunks and from
# people typing numbers into the web UI that is then replayed as caller ID in tests.
_TO_ASCII_DIGITS = str.maketrans("۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩", "01234567890123456789")

# Formatting that people and switches put around numbers. Quotes are here because
# Asterisk sometimes hands over a quoted caller ID string verbatim.
_SEPARATORS = frozenset(" -().\"'")

# ASCII digits only: str.isdigit() would also admit superscripts and other scripts, and
# phonenumbers would turn letters into digits (vanity numbers), so neither is used.
_CANDIDATE = re.compile(r"\+?[0-9]{3,17}")
_E164 = re.compile(r"\+[1-9][0-9]{6,14}")

_IRAN_COUNTRY_CODE = 98
_IRAN_PREFIX = "+98"
_TO_PERSIAN_DIGITS = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
_UNKNOWN = "نامشخص"


@dataclass(frozen=True, slots=True, repr=False)
class CallerNumber:
    """A caller ID as received (``raw``) and, when it is a valid number, in E.164.

    ``repr`` shows only the masked form, so logging the object never leaks the number.
    """

    raw: str
    e164: str | None
    is_mobile: bool

    @property
    def masked(self) -> str:
        """The number with its middle hidden, for logs: ``+98912***4567``."""
        if self.e164 is None:
            return "<unknown>"
        # Short foreign numbers would be fully revealed by a fixed 6+4 split.
        if len(self.e164) > 10:
            return f"{self.e164[:6]}***{self.e164[-4:]}"
        return f"{self.e164[:3]}***{self.e164[-2:]}"

    def __repr__(self) -> str:
        return f"CallerNumber(masked={self.masked!r}, is_mobile={self.is_mobile})"


def _candidate(raw: str) -> str | None:
    """Reduce raw caller ID to ``+?digits`` or None if anything unexpected is in it."""
    if len(raw) > _MAX_RAW_LENGTH:
        return None
    kept: list[str] = []
    for char in raw.translate(_TO_ASCII_DIGITS):
        # Cf covers the bidi marks and ZWNJ that Persian text editors wrap around
        # numbers; other control characters (NUL, ESC) are not formatting, so they fall
        # through and make the candidate invalid.
        if char in _SEPARATORS or char.isspace() or unicodedata.category(char) == "Cf":
            continue
        kept.append(char)
    text = "".join(kept)
    return text if _CANDIDATE.fullmatch(text) else None


def _unknown(raw: str) -> CallerNumber:
    return CallerNumber(raw=raw, e164=None, is_mobile=False)


def normalise_caller_id(raw: str) -> CallerNumber:
    """Parse a caller ID from Asterisk into a :class:`CallerNumber`. Never raises.

    Accepts the Iranian trunk forms (``9123456789``, ``09123456789``, ``989123456789``,
    ``00989123456789``, ``+989123456789``), landlines with or without the trunk ``0``,
    Persian/Arabic-Indic digits and common separators. Anything that phonenumbers does
    not consider a valid number (including ``anonymous`` and empty strings) yields
    ``e164=None``. ``is_mobile`` is true only for Iranian mobiles (``+989…``).
    """
    if isinstance(raw, str):
        return _normalise_cached(raw)
    return _normalise(raw)


# One call normalises its caller ID several times (log line, call start, request) and
# phonenumbers' parse and validation were ~14% of the inbound route's CPU; the answer is
# a frozen value of the text alone.  A few thousand recent numbers are plenty.
@functools.lru_cache(maxsize=4096)
def _normalise_cached(raw: str) -> CallerNumber:
    return _normalise(raw)


def _normalise(raw: str) -> CallerNumber:
    try:
        candidate = _candidate(raw)
        if candidate is None:
            return _unknown(raw)
        parsed = phonenumbers.parse(candidate, "IR")
        if not phonenumbers.is_valid_number(parsed):
            return _unknown(raw)
        e164 = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
        if not isinstance(e164, str) or not _E164.fullmatch(e164):
            return _unknown(raw)
        is_mobile = (
            parsed.country_code == _IRAN_COUNTRY_CODE
            and phonenumbers.number_type(parsed) == phonenumbers.PhoneNumberType.MOBILE
        )
        return CallerNumber(raw=raw, e164=e164, is_mobile=is_mobile)
    except Exception:
        # The contract is "never raises": a caller ID must not be able to drop a call.
        # Non-str input (a bug upstream) also lands here instead of crashing the handler.
        return _unknown(raw if isinstance(raw, str) else "")


def _national_groups(e164: str) -> str:
    """An Iranian E.164 number in national form with ASCII digits and spaces."""
    significant = e164.removeprefix(_IRAN_PREFIX)
    if len(significant) != 10:
        return "0" + significant
    if significant.startswith("9"):
        # Mobiles: 0918 123 4567.
        return f"0{significant[:3]} {significant[3:6]} {significant[6:]}"
    # Landlines: a two-digit area code and eight digits, 081 3123 4567.
    return f"0{significant[:2]} {significant[2:6]} {significant[6:]}"


def display_phone(number: str | None) -> str:
    """A phone number the way people in Iran read it, in Persian digits. Never raises.

    Accepts anything :func:`normalise_caller_id` does (E.164, trunk forms, Persian
    digits).  Iranian mobiles become ``۰۹۱۸ ۱۲۳ ۴۵۶۷`` and landlines ``۰۸۱ ۳۱۲۳ ۴۵۶۷``
    (national format, never ``+۹۸…``); other countries stay E.164 (``+۴۴۲۰…``).  Text
    that is no number (``anonymous``) is shown as it came, and nothing as «نامشخص».
    Written left to right: pages wrap it in ``<bdi dir="ltr">``.
    """
    if number is None or not number.strip():
        return _UNKNOWN
    e164 = normalise_caller_id(number).e164
    if e164 is None:
        return number.strip().translate(_TO_PERSIAN_DIGITS)
    text = _national_groups(e164) if e164.startswith(_IRAN_PREFIX) else e164
    return text.translate(_TO_PERSIAN_DIGITS)
