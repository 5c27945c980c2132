"""Admin-editable SMS templates (table `sms_templates`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from samad_ivr.sms.text import render_tracking_code, validate_template
from samad_ivr.storage.audit_actor import audited
from samad_ivr.storage.db import Pool, connection

GET_SQL = "SELECT key, body, updated_at, updated_by FROM sms_templates WHERE key = $1"
LIST_SQL = "SELECT key, body, updated_at, updated_by FROM sms_templates ORDER BY key"
SAVE_SQL = """
INSERT INTO sms_templates (key, body, updated_at, updated_by) VALUES ($1, $2, now(), $3)
ON CONFLICT (key) DO UPDATE SET body = $2, updated_at = now(), updated_by = $3
RETURNING key, body, updated_at, updated_by
"""

# The shipped text, used when the row is missing (e.g. deleted by hand).
DEFAULT_TRACKING_CODE = (
    "سامد: درخواست شما ثبت شد.\nکد پیگیری:\n{code}\n{registered_at}\nپیگیری وضعیت: تماس با ۱۱۱"
)
# The same text as migration 0013 stores.
DEFAULT_REQUEST_ANSWERED = (
    "سامد: {agency} به درخواست شما پاسخ داد.\nکد پیگیری:\n{code}\nشنیدن پاسخ: تماس با ۱۱۱"
)
# The same text as migration 0010 stores.
DEFAULT_AGENCY_REMINDER = (
    "سامد: یادآوری مهلت پاسخ\nکد پیگیری:\n{code}\nمهلت پاسخ تا پایان {due_on}\n"
    "پاسخ را در سامانهٔ سامد ثبت کنید."
)
# The same text as migration 0016 stores.
DEFAULT_REQUEST_SENT_BACK = (
    "سامد: درخواست برای پاسخ دوباره به دستگاه شما بازگشت.\nکد پیگیری:\n{code}\n"
    "مهلت پاسخ تا پایان {due_on}"
)
# The same text as migration 0018 stores.
DEFAULT_SATISFACTION_QUESTION = (
    "سامد: آیا پاسخ {agency} به درخواست شما قانع‌کننده بود؟\nکد پیگیری:\n{code}\n"
    "اگر قانع شدید ۱ و اگر نه ۲ را پیامک کنید."
)
# The same text as migration 0028 stores.
DEFAULT_CALLBACK_MISSED = (
    "سامد: نتوانستیم در این نوبت با شما تماس بگیریم؛ درخواست شما ثبت شد.\nکد پیگیری:\n{code}\n"
    "نوبت بعدی پاسخ‌گویی: {next_session}"
)
DEFAULTS = {
    "tracking_code": DEFAULT_TRACKING_CODE,
    "request_answered": DEFAULT_REQUEST_ANSWERED,
    "agency_reminder": DEFAULT_AGENCY_REMINDER,
    "request_sent_back": DEFAULT_REQUEST_SENT_BACK,
    "satisfaction_question": DEFAULT_SATISFACTION_QUESTION,
    "callback_missed": DEFAULT_CALLBACK_MISSED,
}


@dataclass(frozen=True, slots=True)
class SmsTemplate:
    key: str
    body: str
    updated_at: datetime
    updated_by: str | None


class TemplateRepository:
    def __init__(self, pool: Pool) -> None:
        self._pool = pool

    async def get(self, key: str) -> SmsTemplate | None:
        async with connection(self._pool) as conn:
            r = await conn.fetchrow(GET_SQL, key)
        return (
            None
            if r is None
            else SmsTemplate(r["key"], r["body"], r["updated_at"], r["updated_by"])
        )

    async def all(self) -> list[SmsTemplate]:
        async with connection(self._pool) as conn:
            rows = await conn.fetch(LIST_SQL)
        return [SmsTemplate(r["key"], r["body"], r["updated_at"], r["updated_by"]) for r in rows]

    async def save(self, key: str, body: str, updated_by: str) -> SmsTemplate:
        """Validate and store; raises `TemplateError` with a message for the admin."""
        validate_template(key, body)
        async with audited(self._pool) as conn:
            r = await conn.fetchrow(SAVE_SQL, key, body, updated_by)
        assert r is not None  # RETURNING of an upsert always yields the row
        return SmsTemplate(r["key"], r["body"], r["updated_at"], r["updated_by"])

    async def body_of(self, key: str) -> str:
        """The stored text of `key`, or the shipped one when the row is missing."""
        template = await self.get(key)
        return template.body if template is not None else DEFAULTS[key]

    async def tracking_code_renderer(
        self, registered_at: datetime, tz: ZoneInfo
    ) -> Callable[[str], str]:
        """What `RequestRepository.register(sms_body_template=...)` takes: code -> text.

        Loaded before the registering transaction so that no query runs inside it.
        """
        template = await self.get("tracking_code")
        body = template.body if template is not None else DEFAULT_TRACKING_CODE
        return lambda code: render_tracking_code(body, code, registered_at, tz)
