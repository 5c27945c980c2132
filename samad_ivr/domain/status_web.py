"""Status on the web: who may see a request, and how often anyone may try.

A citizen holds the tracking code from the SMS and knows the number they called from;
the pair (code, last four digits of that number) opens the request's status page.  Pure
rules: what was typed, cleaned; whether the digits match; whether one more try is
allowed.  A wrong code and wrong digits are the same failure to everything outside this
module, so a page never tells a guesser which half was right.
"""

from __future__ import annotations

import hmac
import re
from dataclasses import dataclass
from enum import StrEnum

from samad_ivr.domain.tracking import CODE_LENGTH

__all__ = [
    "DIGITS_LENGTH",
    "StatusWebLimits",
    "Tries",
    "WebOutcome",
    "clean_code",
    "clean_digits",
    "digits_match",
    "refusal",
]

DIGITS_LENGTH = 4
_TO_ASCII = str.maketrans("۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩", "01234567890123456789")
_SEPARATORS = re.compile(r"[\s\-_.\u200c\u200e\u200f]+")
_MAX_TYPED = 64


class WebOutcome(StrEnum):
    SHOWN = "shown"  # the pair matched: the request is shown
    NO_MATCH = "no_match"  # unknown code, wrong digits, or a request without a number
    MALFORMED = "malformed"  # not ten and four digits: refused before any lookup
    LIMITED = "limited"  # too many tries from this address or on this code


@dataclass(frozen=True, slots=True)
class StatusWebLimits:
    """Tries per client address per hour; wrong pairs per tracking code per day.

    Ten thousand four-digit endings make the per-code limit the one that matters: with
    10 wrong pairs a day a guesser who knows a code needs years for even odds."""

    per_address_hour: int = 30
    failures_per_code_day: int = 10


@dataclass(frozen=True, slots=True)
class Tries:
    """Earlier tries as the database counts them right now."""

    address_last_hour: int
    code_failures_last_day: int


def clean_digits(raw: str, length: int) -> str | None:
    """`raw` as ASCII digits (Persian and Arabic digits accepted, spaces and dashes
    dropped) when it is exactly `length` of them, else None."""
    text = _SEPARATORS.sub("", raw[:_MAX_TYPED].translate(_TO_ASCII))
    return text if len(text) == length and text.isascii() and text.isdigit() else None


def clean_code(raw: str) -> str | None:
    return clean_digits(raw, CODE_LENGTH)


def digits_match(caller_e164: str | None, typed: str) -> bool:
    """True when `typed` is the last four digits of the number that called; compared in
    constant time, and never for a request without a number."""
    expected = (caller_e164 or "")[-DIGITS_LENGTH:]
    if len(expected) != DIGITS_LENGTH or not expected.isdigit():
        hmac.compare_digest(typed.encode(), typed.encode())  # the same work either way
        return False
    return hmac.compare_digest(expected.encode(), typed.encode())


def refusal(tries: Tries, limits: StatusWebLimits) -> bool:
    """True when one more try must be refused (the same answer for every pair)."""
    return (
        tries.address_last_hour >= limits.per_address_hour
        or tries.code_failures_last_day >= limits.failures_per_code_day
    )
