"""What an inspector's send-back writes besides the move: the agency's notice and SMS.

Both go in the send-back's own transaction (`RequestLifecycle.act(..., within=...)`):
a portal notice, once per round (its key names the version sent back), and, when the
agency has a contact mobile, an SMS from the admin-editable `request_sent_back` text.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from samad_ivr.admin.jalali import jalali_text
from samad_ivr.domain.phone import normalise_caller_id
from samad_ivr.sms.templates import DEFAULTS
from samad_ivr.sms.text import render_template
from samad_ivr.storage.db import PoolConnection, StorageError
from samad_ivr.storage.lifecycle import RequestState, Within

__all__ = ["SMS_TEMPLATE", "SendBackRefused", "notice_text", "send_back_notice"]

SMS_TEMPLATE = "request_sent_back"

INSERT_NOTICE_SQL = """
INSERT INTO agency_notifications (agency_id, request_id, kind, subject, body, dedup_key)
VALUES ($1, $2, 'sent_back', $3, $4, $5)
ON CONFLICT (dedup_key) DO NOTHING
RETURNING id
"""
AGENCY_MOBILE_SQL = "SELECT contact_mobile FROM agencies WHERE id = $1"
TEMPLATE_SQL = "SELECT body FROM sms_templates WHERE key = $1"
INSERT_SMS_SQL = """
INSERT INTO sms_outbox (request_id, destination, body, category)
VALUES ($1, $2, $3, 'transactional') RETURNING id
"""


class SendBackRefused(StorageError, ValueError):
    """A request that was never assigned cannot be sent back to an agency."""

    def __init__(self, message: str, message_fa: str) -> None:
        super().__init__(message)
        self.message_fa = message_fa


def notice_text(code: str, due_on: date) -> str:
    """The portal notice's subject."""
    return f"درخواست {code} برای پاسخ دوباره به دستگاه بازگشت؛ مهلت تا {jalali_text(due_on)}"


def send_back_notice(reason: str) -> Within:
    """The send-back's writes inside its transaction, announcing the new deadline the
    lifecycle has just computed for the request."""

    async def within(
        conn: PoolConnection, before: RequestState, after: RequestState
    ) -> dict[str, Any]:
        if before.agency_id is None or before.center_id is None or after.due_on is None:
            raise SendBackRefused(
                f"request {before.id} was never assigned",
                "این درخواست به دستگاهی ارجاع نشده است؛ ابتدا آن را ارجاع دهید.",
            )
        key = f"send_back:{before.id}:{before.version}"
        notice = await conn.fetchval(
            INSERT_NOTICE_SQL,
            before.agency_id,
            before.id,
            notice_text(before.tracking_code, after.due_on),
            reason[:4000],
            key,
        )
        sms_id = None
        mobile = await conn.fetchval(AGENCY_MOBILE_SQL, before.agency_id)
        if notice is not None and mobile and normalise_caller_id(mobile).is_mobile:
            body = await conn.fetchval(TEMPLATE_SQL, SMS_TEMPLATE) or DEFAULTS[SMS_TEMPLATE]
            values = {"code": before.tracking_code, "due_on": jalali_text(after.due_on)}
            sms_id = await conn.fetchval(
                INSERT_SMS_SQL, before.id, mobile, render_template(body, values)
            )
        return {"notice_id": notice, "sms_id": sms_id}

    return within
