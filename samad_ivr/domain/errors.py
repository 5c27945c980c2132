"""Errors raised by the pure domain.

Every domain error subclasses :class:`DomainError` so the per-call boundary can tell
"the data or the request was wrong" apart from infrastructure failures. Errors that
describe a bad argument also subclass :class:`ValueError`, so code that only knows the
standard library still catches them sensibly.
"""

from __future__ import annotations

__all__ = ["DomainError", "InvalidCalendar", "InvalidSlot", "NaiveInstant", "NotSpeakable"]


class DomainError(Exception):
    """Base class of every error raised by ``samad_ivr.domain``."""


class NaiveInstant(DomainError, ValueError):
    """A datetime without a time zone was given where an instant is required."""


class InvalidSlot(DomainError, ValueError):
    """A duty slot is malformed: naive datetimes or an empty/negative interval."""


class InvalidCalendar(DomainError, ValueError):
    """A center calendar holds impossible data, such as weekday number 7."""


class NotSpeakable(DomainError, ValueError):
    """A value cannot be turned into prompts (non-digits, or a number out of range)."""
