"""SMS texts in the console: list, edit with a live part count, and the notifications.

Superusers edit the texts; province admins and national listeners may read them.
The count shown is of the message as sent (placeholders filled with a sample code and
the current time), which is also what `validate_template` limits; the browser's count
(static/sms_counter.js) follows the same rule, and the server's is authoritative.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from aiohttp import web

from samad_ivr.admin.jalali import fa_digits
from samad_ivr.domain.spoken import format_jalali, format_jalali_date
from samad_ivr.domain.tracking import verhoeff_check_digit
from samad_ivr.sms.templates import DEFAULTS as SHIPPED_TEXTS
from samad_ivr.sms.templates import SmsTemplate, TemplateRepository
from samad_ivr.sms.text import MAX_TEMPLATE_PARTS, TEMPLATE_FIELDS, TemplateError, sms_parts
from samad_ivr.web.admin.common import form_fields, pool, redirect
from samad_ivr.web.admin.notifications import setup_notification_routes
from samad_ivr.web.admin.sms_common import Console, console_user, render_console
from samad_ivr.web.security import Role, http_error

VIEW_ROLES = (Role.SUPERUSER, Role.PROVINCE_ADMIN, Role.NATIONAL_LISTENER)
MAX_BODY = 1000  # characters as typed; the part limit is checked after filling placeholders
KEY_RE = re.compile(r"[a-z][a-z0-9_]{0,63}")  # the table's CHECK on sms_templates.key
SAMPLE_CODE = "482716039" + verhoeff_check_digit("482716039")

DESCRIPTIONS: Mapping[str, str] = {
    "tracking_code": "کد پیگیری که پس از ثبت درخواست برای شمارهٔ همراه تماس‌گیرنده فرستاده می‌شود",
    "request_answered": "خبر پاسخ دستگاه که پس از ثبت پاسخ برای شمارهٔ همراه شهروند فرستاده می‌شود",
    "agency_reminder": "یادآوری مهلت پاسخ که روز یادآوری برای شمارهٔ همراه دستگاه فرستاده می‌شود",
    "request_sent_back": "خبر بازگشت درخواست به دستگاه با مهلت تازه، برای شمارهٔ همراه دستگاه",
    "satisfaction_question": "پرسش «آیا پاسخ قانع‌کننده بود؟» از شهروند، پس از پاسخ دستگاه",
    "callback_missed": "به شهروندی که تماس برگشتی‌اش در این نوبت ممکن نشد (کد پیگیری و نوبت بعدی)",
}
DEFAULTS: Mapping[str, str] = SHIPPED_TEXTS
PLACEHOLDERS: Mapping[str, str] = {
    "code": "کد پیگیری ده‌رقمی با رقم‌های لاتین؛ باید به‌تنهایی در یک سطر بیاید",
    "registered_at": "تاریخ و ساعت ثبت درخواست به تقویم شمسی، مانند ۱۴۰۴/۰۱/۰۱ ساعت ۰۹:۰۰",
    "agency": "نام دستگاهی که پاسخ داده است",
    "answered_at": "تاریخ و ساعت ثبت پاسخ به تقویم شمسی",
    "due_on": "آخرین روز مهلت پاسخ دستگاه به تقویم شمسی، مانند ۱۴۰۴/۰۱/۱۵",
}
SAMPLE_AGENCY = "ادارهٔ کل راه و شهرسازی استان همدان"
ENCODINGS = {"ucs2": ("UCS-2", 70, 67), "gsm7": ("GSM-7", 160, 153)}
# The same pattern as static/sms_counter.js: escaped braces, then {name}.
_PLACEHOLDER_RE = re.compile(r"\{\{|\}\}|\{([^{}]*)\}")
_ARABIC_LETTERS = str.maketrans({"ي": "ی", "ى": "ی", "ك": "ک"})


@dataclass(frozen=True, slots=True)
class Count:
    """How the message (placeholders filled with sample values) travels."""

    text: str
    chars: int  # UTF-16 units for UCS-2, septets for GSM-7
    encoding: str
    parts: int
    single: int
    per_part: int

    @property
    def too_long(self) -> bool:
        return self.parts > MAX_TEMPLATE_PARTS


def sample_values(now: datetime, tz: ZoneInfo) -> dict[str, str]:
    at = format_jalali(now, tz)
    due_on = format_jalali_date(now.astimezone(tz).date() + timedelta(days=10))
    return {
        "code": SAMPLE_CODE, "registered_at": at, "answered_at": at, "agency": SAMPLE_AGENCY,
        "due_on": due_on,
    }  # fmt: skip


def sample_message(body: str, values: Mapping[str, str]) -> str:
    """`body` with known placeholders filled and `{{`/`}}` unescaped; unknown ones kept
    as typed (the validation error names them)."""

    def fill(m: re.Match[str]) -> str:
        token = m.group(0)
        if token in ("{{", "}}"):
            return token[0]
        return values.get(m.group(1), token)

    return _PLACEHOLDER_RE.sub(fill, body)


def count(body: str, values: Mapping[str, str]) -> Count:
    text = sample_message(body, values)
    p = sms_parts(text)
    name, single, per_part = ENCODINGS[p.encoding]
    return Count(text, p.units, name, p.parts, single, per_part)


def clean_body(text: str) -> str:
    """Browsers send CRLF; a CR would be one more character in every SMS."""
    return text.replace("\r\n", "\n").replace("\r", "\n").translate(_ARABIC_LETTERS).strip()


def persian_error(exc: TemplateError, key: str) -> str:
    """`validate_template`'s message for the admin, in Persian."""
    message = str(exc)
    # Only the placeholders of this text: another text's {agency} is refused here.
    own = TEMPLATE_FIELDS.get(key, frozenset())
    allowed = "، ".join("{" + name + "}" for name in PLACEHOLDERS if name in own)
    if message.startswith("unbalanced braces"):
        return "آکولادها جفت نیستند. برای نوشتن خودِ آکولاد «{{» یا «}}» بنویسید."
    if message.startswith("unknown template"):
        return "این متن در سامانه تعریف نشده است و ذخیره نمی‌شود."
    if message == "the template is empty":
        return "متن پیامک خالی است."
    if m := re.match(r"unknown placeholder (\{[^}]*\})", message):
        return f"جای‌نمای «{m.group(1)}» شناخته نیست؛ فقط این‌ها مجازند: {allowed}."
    if m := re.match(r"placeholder (\{[^}]*\}) must not", message):
        return f"جای‌نمای «{m.group(1)}» باید بی‌قالب‌بندی (بدون : یا !) نوشته شود."
    if message.startswith("{code} must stand alone"):
        return "{code} باید به‌تنهایی در یک سطر باشد تا گیرنده کد را بی‌اشتباه بخواند."
    if m := re.match(r"the text needs (\d+) parts; at most (\d+)", message):
        parts, most = (fa_digits(g) for g in m.groups())
        return f"این پیامک با کد و زمان نمونه {parts} بخش می‌شود؛ حداکثر {most} بخش مجاز است."
    return f"متن پیامک پذیرفته نشد ({message})."


def _key(request: web.Request) -> str:
    key = request.match_info.get("key", "")
    if not KEY_RE.fullmatch(key):
        raise http_error(request, 404, "not_found", "متن پیامکی با این نام نیست.")
    return key


async def _stored(request: web.Request, key: str) -> SmsTemplate | None:
    """The stored template; 404 unless it is stored or one the software knows."""
    stored = await TemplateRepository(pool(request)).get(key)
    if stored is None and key not in TEMPLATE_FIELDS:
        raise http_error(request, 404, "not_found", "متن پیامکی با این نام نیست.")
    return stored


def _updated(c: Console, t: SmsTemplate | None) -> str:
    if t is None or t.updated_by is None:
        return "متن اولیهٔ نصب"
    local = format_jalali(t.updated_at, c.tz)
    return f"{local} — {t.updated_by}"


async def templates_page(request: web.Request) -> web.Response:
    c = await console_user(request, *VIEW_ROLES)
    stored = {t.key: t for t in await TemplateRepository(pool(request)).all()}
    values = sample_values(datetime.now(UTC), c.tz)
    rows = []
    for key in sorted(stored.keys() | TEMPLATE_FIELDS.keys()):
        t = stored.get(key)
        body = t.body if t is not None else DEFAULTS.get(key, "")
        rows.append({
            "key": key, "description": DESCRIPTIONS.get(key, "—"),
            "preview": " ⏎ ".join(body.splitlines()), "count": count(body, values),
            "updated": _updated(c, t),
        })  # fmt: skip
    return render_console(request, "admin/sms_templates.html", c, rows=rows)


def _edit_page(
    request: web.Request,
    c: Console,
    key: str,
    body: str,
    stored: SmsTemplate | None,
    *,
    errors: list[str] | None = None,
    status: int = 200,
) -> web.Response:
    values = sample_values(datetime.now(UTC), c.tz)
    allowed = TEMPLATE_FIELDS.get(key, frozenset())
    return render_console(
        request, "admin/sms_template_edit.html", c, status=status, key=key,
        description=DESCRIPTIONS.get(key, "—"), body=body, samples=values,
        count=count(body, values), updated=_updated(c, stored), max_parts=MAX_TEMPLATE_PARTS,
        placeholders=[(n, d) for n, d in PLACEHOLDERS.items() if n in allowed],
        can_edit=c.user.role is Role.SUPERUSER, errors=errors or [],
    )  # fmt: skip


async def template_page(request: web.Request) -> web.Response:
    c = await console_user(request, *VIEW_ROLES)
    key = _key(request)
    stored = await _stored(request, key)
    body = stored.body if stored is not None else DEFAULTS.get(key, "")
    return _edit_page(request, c, key, body, stored)


async def save_template(request: web.Request) -> web.Response:
    c = await console_user(request, Role.SUPERUSER)
    key = _key(request)
    stored = await _stored(request, key)
    body = clean_body((await form_fields(request)).get("body", ""))
    error = None
    if len(body) > MAX_BODY:
        error = f"متن بیش از {fa_digits(MAX_BODY)} نویسه است."
    else:
        try:
            await TemplateRepository(pool(request)).save(key, body, c.user.username)
        except TemplateError as exc:
            error = persian_error(exc, key)
    if error is not None:
        return _edit_page(request, c, key, body, stored, errors=[error], status=422)
    raise redirect(f"/admin/sms/templates/{key}", "template_saved")


def setup_admin_sms(app: web.Application) -> None:
    """SMS texts and admin notifications; needs `setup_security` installed before it."""
    app.router.add_get("/admin/sms/templates", templates_page)
    app.router.add_get("/admin/sms/templates/{key}", template_page)
    app.router.add_post("/admin/sms/templates/{key}", save_template)
    setup_notification_routes(app)
