"""Citizens' sign-ups for duty notices: mobile numbers only, web sign-ups confirmed by code.

Anyone can type anyone's number into a web form, so a web sign-up only becomes active
when the code we text to that number is typed back; codes expire, wrong guesses are
capped and a new code is texted at most once per `resend_after`.  The IVR sign-up uses
the caller's own line and is active at once.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from samad_ivr.domain.phone import normalise_caller_id
from samad_ivr.notices.text import confirmation_sms
from samad_ivr.storage.notices import NoticeRepository, SignupLimits, WebSignup

__all__ = ["SignupPolicy", "SignupService", "code_hash", "mobile_e164", "normalise_code"]

_TO_ASCII = str.maketrans("۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩", "01234567890123456789")


@dataclass(frozen=True, slots=True)
class SignupPolicy:
    code_digits: int = 6
    resend_after: timedelta = timedelta(minutes=2)
    valid_for: timedelta = timedelta(hours=1)
    max_attempts: int = 5
    # Anyone can type anyone's number: codes per number and per client address are capped.
    limits: SignupLimits = field(default_factory=SignupLimits)


def mobile_e164(text: str) -> str | None:
    """An Iranian mobile number typed by a person, in E.164; None for anything else."""
    number = normalise_caller_id(text)
    return number.e164 if number.is_mobile else None


def normalise_code(text: str) -> str:
    """A typed code with Persian/Arabic-Indic digits made ASCII and spaces dropped."""
    return "".join(text.translate(_TO_ASCII).split())


def code_hash(destination: str, code: str) -> str:
    """What is stored instead of the code (bound to the number it was sent to)."""
    return hashlib.sha256(f"{destination}:{code}".encode()).hexdigest()


class SignupService:
    def __init__(self, notices: NoticeRepository, policy: SignupPolicy = SignupPolicy()) -> None:
        self._notices = notices
        self._policy = policy

    async def start_web(
        self, center_id: int, destination: str, now: datetime, *, address: str
    ) -> WebSignup:
        """Store a pending web sign-up and queue an SMS with a fresh code, unless the
        number or the client `address` has had its share of codes lately."""
        code = "".join(secrets.choice("0123456789") for _ in range(self._policy.code_digits))
        return await self._notices.subscribe_web(
            center_id,
            destination,
            code_hash(destination, code),
            confirmation_sms(code),
            now,
            self._policy.resend_after,
            address=address,
            limits=self._policy.limits,
        )

    async def confirm_web(self, center_id: int, destination: str, code: str, now: datetime) -> bool:
        """True when `code` confirms the pending sign-up."""
        typed = normalise_code(code)
        if not (typed.isascii() and typed.isdigit()) or len(typed) != self._policy.code_digits:
            return False
        return await self._notices.confirm_web(
            center_id,
            destination,
            code_hash(destination, typed),
            now,
            max_attempts=self._policy.max_attempts,
            valid_for=self._policy.valid_for,
        )
