"""SMS text rules, pure: part counting, reply normalisation, admin templates.

Templates are edited by admins, so they are data, not code: only named placeholders
(`{code}`, `{registered_at}`) are allowed, never attribute access or format specs, and a
template is checked before it is saved.
"""

from __future__ import annotations

import math
import string
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Literal
from zoneinfo import ZoneInfo

from samad_ivr.domain.spoken import format_jalali

# GSM 03.38 default alphabet; the extension table costs two septets per character.
_GSM_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM_EXTENSION = frozenset("^{}\\[~]|€\f")

_TO_ASCII_DIGITS = str.maketrans("۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩", "01234567890123456789")
_TO_PERSIAN_LETTERS = str.maketrans({"ي": "ی", "ى": "ی", "ك": "ک"})

TEMPLATE_FIELDS: Mapping[str, frozenset[str]] = {
    "tracking_code": frozenset({"code", "registered_at"}),
    # To the citizen when the agency has answered (samad_ivr.storage.answers).
    "request_answered": frozenset({"code", "agency", "answered_at"}),
    # To the agency's contact mobile before its deadline (samad_ivr.jobs.deadline_reminders).
    "agency_reminder": frozenset({"code", "due_on"}),
    # To the agency's contact mobile when an inspector sends a request back
    # (samad_ivr.storage.send_back).
    "request_sent_back": frozenset({"code", "due_on"}),
    # To the citizen a day after the answer: was it convincing? (samad_ivr.jobs.satisfaction_ask)
    "satisfaction_question": frozenset({"code", "agency"}),
    # To a caller whose callback could not be made in the session (samad_ivr.jobs.callbacks).
    "callback_missed": frozenset({"code", "next_session"}),
}
# Templates whose {code} must stand alone on its line, so that it is read without error.
CODE_ON_ITS_OWN_LINE = frozenset(
    {
        "tracking_code",
        "request_answered",
        "agency_reminder",
        "request_sent_back",
        "satisfaction_question",
        "callback_missed",
    }
)
MAX_TEMPLATE_PARTS = 3
_SAMPLE = {
    "code": "1234567890",
    "registered_at": "۱۴۰۴/۰۱/۰۱ ساعت ۰۹:۰۰",
    "answered_at": "۱۴۰۴/۰۱/۰۸ ساعت ۱۱:۳۰",
    "due_on": "۱۴۰۴/۰۱/۱۵",
    "next_session": "شنبه ۱۴۰۴/۰۱/۰۹ ساعت ۰۹:۰۰",
    # A long real name, so that the part count is not optimistic.
    "agency": "ادارهٔ کل راه و شهرسازی استان همدان",
}


class TemplateError(ValueError):
    """An admin's template cannot be used; the message says why, in plain words."""


@dataclass(frozen=True, slots=True)
class SmsParts:
    encoding: Literal["gsm7", "ucs2"]
    units: int  # septets for GSM-7, UTF-16 code units for UCS-2
    parts: int


def sms_parts(text: str) -> SmsParts:
    """How `text` travels: GSM-7 (160 / 153 per part) or UCS-2 (70 / 67 per part).

    Persian is always UCS-2. Characters outside the BMP count as two UTF-16 units.
    """
    if all(c in _GSM_BASIC or c in _GSM_EXTENSION for c in text):
        units = sum(2 if c in _GSM_EXTENSION else 1 for c in text)
        single, multi, encoding = 160, 153, "gsm7"
    else:
        units = len(text.encode("utf-16-be")) // 2
        single, multi, encoding = 70, 67, "ucs2"
    parts = 1 if units <= single else math.ceil(units / multi)
    return SmsParts(encoding=encoding, units=units, parts=parts)  # type: ignore[arg-type]


def ucs2_parts(text: str) -> int:
    """Number of SMS parts `text` needs (the admin UI shows it next to the editor)."""
    return sms_parts(text).parts


def normalise_reply(text: str) -> str:
    """A citizen's reply reduced for matching: ASCII digits, Persian letters, no
    surrounding space or zero-width marks, case folded."""
    cleaned = "".join(c for c in text if c not in "\u200c\u200d\u200e\u200f\ufeff")
    return (
        " ".join(cleaned.translate(_TO_ASCII_DIGITS).translate(_TO_PERSIAN_LETTERS).split())
        .strip(" .!")
        .casefold()
    )


def _fields(body: str) -> list[tuple[str, str | None, str | None, str | None]]:
    try:
        return list(string.Formatter().parse(body))
    except ValueError as exc:
        raise TemplateError(f"unbalanced braces: {exc} (write {{{{ and }}}} for braces)") from exc


def validate_template(key: str, body: str) -> SmsParts:
    """Check an admin's template; return the part count of a sample rendering.

    Raises `TemplateError` for unknown keys or placeholders, format specs, a
    tracking-code template without `{code}` alone on its own line, or a text longer
    than `MAX_TEMPLATE_PARTS` parts.
    """
    allowed = TEMPLATE_FIELDS.get(key)
    if allowed is None:
        raise TemplateError(f"unknown template {key!r}")
    if not body.strip():
        raise TemplateError("the template is empty")
    for _literal, name, spec, conversion in _fields(body):
        if name is None:
            continue
        if name not in allowed:
            raise TemplateError(f"unknown placeholder {{{name}}}; allowed: {sorted(allowed)}")
        if spec or conversion:
            raise TemplateError(f"placeholder {{{name}}} must not have a format or conversion")
    if key in CODE_ON_ITS_OWN_LINE and "{code}" not in [ln.strip() for ln in body.splitlines()]:
        raise TemplateError("{code} must stand alone on its own line")
    parts = sms_parts(render_template(body, _SAMPLE))
    if parts.parts > MAX_TEMPLATE_PARTS:
        raise TemplateError(f"the text needs {parts.parts} parts; at most {MAX_TEMPLATE_PARTS}")
    return parts


def render_template(body: str, values: Mapping[str, str]) -> str:
    """Fill a validated template; a missing value raises `TemplateError`."""
    out: list[str] = []
    for literal, name, _spec, _conversion in _fields(body):
        out.append(literal)
        if name is not None:
            if name not in values:
                raise TemplateError(f"no value for placeholder {{{name}}}")
            out.append(values[name])
    return "".join(out)


def render_tracking_code(body: str, code: str, registered_at: datetime, tz: ZoneInfo) -> str:
    """The tracking-code SMS: the code in ASCII digits, the date in Jalali."""
    return render_template(body, {"code": code, "registered_at": format_jalali(registered_at, tz)})


def render_request_answered(
    body: str, code: str, agency: str, answered_at: datetime, tz: ZoneInfo
) -> str:
    """The citizen's SMS when the agency has answered their request."""
    values = {"code": code, "agency": agency, "answered_at": format_jalali(answered_at, tz)}
    return render_template(body, values)
