"""Status by phone: which code may be looked up, and what the caller hears about it.

Pure rules (time and counts are arguments).  A caller who pressed 1 during the greeting
types a tracking code; each code typed is one *attempt*, counted against three limits:
attempts in this call, attempts from this caller number in the last hour, and valid
codes that were not found at the whole center in the last hour.  The last one is what
stops enumeration with spoofed caller IDs: a new number per call buys three guesses,
but a guesser types codes with a correct check digit, and of those at most about one
in a hundred is in use even nationally after five years, so nearly every guess is a
"not found" and the center's allowance of them (a few dozen an hour; a citizen with a
real code almost never produces one: Verhoeff catches their typing slips first) runs
out long before many requests are found.  Invalid codes are not counted there: they
find nothing and are refused without a query.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from samad_ivr.domain.lifecycle import Status
from samad_ivr.domain.phone import normalise_caller_id
from samad_ivr.domain.spoken import jalali_date_prompts
from samad_ivr.domain.tracking import CODE_LENGTH, is_valid_tracking_code

__all__ = [
    "OUTCOME_FA",
    "UNKNOWN_CALLER",
    "Attempts",
    "FoundRequest",
    "Outcome",
    "StatusLimits",
    "caller_bucket",
    "clean_typed",
    "code_of",
    "limit_reached",
    "menu_prompts",
    "outcome_prompts",
    "status_prompts",
]

UNKNOWN_CALLER = "unknown"
"""The one bucket of withheld, anonymous and unparseable caller IDs."""

MAX_TYPED = 32
_DTMF = frozenset("0123456789*#ABCD")


class Outcome(StrEnum):
    FOUND = "found"
    NOT_FOUND = "not_found"
    INVALID = "invalid"  # wrong length or check digit: refused without a query
    LIMIT_CALL = "limit_call"
    LIMIT_CALLER = "limit_caller"
    LIMIT_CENTER = "limit_center"

    @property
    def refused(self) -> bool:
        return self in (Outcome.LIMIT_CALL, Outcome.LIMIT_CALLER, Outcome.LIMIT_CENTER)


# How the national search labels each attempt.
OUTCOME_FA: dict[Outcome, str] = {
    Outcome.FOUND: "پیدا شد",
    Outcome.NOT_FOUND: "پیدا نشد",
    Outcome.INVALID: "کد نامعتبر",
    Outcome.LIMIT_CALL: "رد شد: سقف کد در هر تماس",
    Outcome.LIMIT_CALLER: "رد شد: سقف ساعتی این شماره",
    Outcome.LIMIT_CENTER: "رد شد: سقف ساعتی کدهای ناموجود در مرکز",
}


@dataclass(frozen=True, slots=True)
class StatusLimits:
    per_call: int = 3
    per_caller_hour: int = 10
    center_not_found_hour: int = 30


@dataclass(frozen=True, slots=True)
class Attempts:
    """Earlier attempts (refusals not counted) as the database sees them right now."""

    this_call: int
    caller_last_hour: int
    center_not_found_last_hour: int


@dataclass(frozen=True, slots=True)
class FoundRequest:
    request_id: int
    status: Status
    last_change: date  # local date of the center
    due_on: date | None
    answered: bool  # an agency answer exists for the current round
    answer_by_sms: bool  # ... and the request's number is a mobile that got it


def clean_typed(raw: str) -> str:
    """What the caller typed, as stored: DTMF characters only, at most 32 of them.

    Read() in the dialplan drops the terminating ``#``; a ``#`` left at the end
    (another client) is the terminator too, not part of the code.
    """
    kept = "".join(char for char in raw if char in _DTMF)[:MAX_TYPED]
    return kept[:-1] if kept.endswith("#") else kept


def code_of(typed: str) -> str | None:
    """The tracking code in ``typed`` if it is one (length and check digit), else None."""
    return typed if len(typed) == CODE_LENGTH and is_valid_tracking_code(typed) else None


def caller_bucket(caller_id_raw: str) -> str:
    """Whose hourly limit an attempt counts against: the E.164 number, or one shared
    bucket for every caller ID that is not a valid number (withheld, garbage)."""
    number = normalise_caller_id(caller_id_raw)
    return number.e164 if number.e164 is not None else UNKNOWN_CALLER


def limit_reached(attempts: Attempts, limits: StatusLimits) -> Outcome | None:
    """The refusal for one more attempt, or None when it may be looked up."""
    if attempts.this_call >= limits.per_call:
        return Outcome.LIMIT_CALL
    if attempts.caller_last_hour >= limits.per_caller_hour:
        return Outcome.LIMIT_CALLER
    if attempts.center_not_found_last_hour >= limits.center_not_found_hour:
        return Outcome.LIMIT_CENTER
    return None


def status_prompts(found: FoundRequest) -> list[str]:
    """What the caller hears about a found request: status, last change, deadline,
    answer.  Dates are Jalali, spoken by our composer."""
    prompts = ["status-request-is", f"status/{found.status.value}"]
    prompts += ["status-last-change", *jalali_date_prompts(found.last_change)]
    if found.due_on is not None and found.status is not Status.CLOSED:
        prompts += ["status-deadline", *jalali_date_prompts(found.due_on)]
    if not found.answered:
        prompts.append("status-no-answer")
    elif found.answer_by_sms:
        prompts.append("status-answer-sent")
    else:
        prompts.append("status-answer-exists")
    return prompts


_OUTCOME_PROMPTS = {
    Outcome.NOT_FOUND: ["status-not-found"],
    Outcome.INVALID: ["status-code-invalid"],
    Outcome.LIMIT_CALL: ["status-limit-call"],
    Outcome.LIMIT_CALLER: ["status-limit-caller"],
    Outcome.LIMIT_CENTER: ["status-limit-center"],
}


def outcome_prompts(outcome: Outcome, found: FoundRequest | None) -> list[str]:
    """The prompts of one attempt's result."""
    if outcome is Outcome.FOUND:
        if found is None:
            raise ValueError("a found outcome needs its request")
        return status_prompts(found)
    return list(_OUTCOME_PROMPTS[outcome])


def menu_prompts(*, resend: bool, another: bool) -> list[str]:
    """The closing menu: 2 sends the answer again, 1 another code, 0 the desk."""
    prompts = ["status-menu-resend"] if resend else []
    if another:
        prompts.append("status-menu-another")
    prompts.append("status-menu-route")
    return prompts
