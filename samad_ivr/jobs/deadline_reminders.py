"""Job: remind the agency before its deadline (day 7 of 10 by default).

For each assigned request whose `remind_on` has come and that was not reminded in this
round: a notice in the agency's portal, an SMS to the agency's contact mobile from the
admin-editable `agency_reminder` template, `reminded_at`, and a 'reminder_sent' history
row.  Only in daytime at the center; a request sent back starts a new round and is
reminded again.  Idempotent and safe on two instances (samad_ivr.storage.deadline_jobs).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, time

from samad_ivr.domain.deadlines import days_left
from samad_ivr.domain.phone import normalise_caller_id
from samad_ivr.domain.spoken import format_jalali_date
from samad_ivr.notices.text import fa_digits
from samad_ivr.sms.templates import DEFAULT_AGENCY_REMINDER, TemplateRepository
from samad_ivr.sms.text import TemplateError, render_template
from samad_ivr.storage import deadline_jobs as dj
from samad_ivr.storage.db import AnyConnection, Pool, connection, require_aware

log = logging.getLogger(__name__)

__all__ = ["DAYTIME", "REMINDER_TEMPLATE", "remind_agencies"]

REMINDER_TEMPLATE = "agency_reminder"
DAYTIME = (time(8, 0), time(20, 0))  # local hours at the center
NOTICE_KIND = "deadline_reminder"
BATCH = 500


def sms_text(template: str, due: dj.DueRequest) -> str:
    values = {"code": due.tracking_code, "due_on": format_jalali_date(due.due_on)}
    try:
        return render_template(template, values)
    except TemplateError:
        # A template edited behind the console's back must not stop the reminder.
        log.warning("template %s cannot be filled; the shipped text is used", REMINDER_TEMPLATE)
        return render_template(DEFAULT_AGENCY_REMINDER, values)


def notice(due: dj.DueRequest, now: datetime) -> dj.Notice:
    left = days_left(due.due_on, now.astimezone(due.tz).date())
    last = format_jalali_date(due.due_on)
    when = "امروز آخرین روز مهلت است" if left == 0 else f"{fa_digits(left)} روز مانده است"
    code = fa_digits(due.tracking_code)  # people read Persian digits; the SMS keeps ASCII
    return dj.Notice(
        request_id=due.id,
        agency_id=due.agency_id,
        subject=f"یادآوری: مهلت پاسخ درخواست {code} تا پایان {last}",
        body=(
            f"درخواست با کد پیگیری {code} در {format_jalali_date(due.deadline_start)}"
            f" به دستگاه شما ارجاع شد و مهلت پاسخ آن تا پایان روز {last} است ({when})."
            " اگر تا آن زمان پاسخ ثبت نشود، درخواست برای پیگیری به بازرسی استان می‌رود."
        ),
        dedup_key=f"reminder:{due.round_key}",
    )


def _mobile(due: dj.DueRequest) -> str | None:
    if due.contact_mobile is None:
        return None
    number = normalise_caller_id(due.contact_mobile)
    return number.e164 if number.is_mobile else None


def _history(due: dj.DueRequest, sms_id: int | None) -> dj.HistoryRow:
    last = format_jalali_date(due.due_on)
    if sms_id is not None:
        note = f"یادآوری پایان مهلت ({last}) در سامانهٔ دستگاه و با پیامک به دستگاه فرستاده شد."
    else:
        note = (
            f"یادآوری پایان مهلت ({last}) در سامانهٔ دستگاه ثبت شد؛"
            " شمارهٔ همراهی برای پیامک ثبت نیست."
        )
    details = {"due_on": due.due_on.isoformat(), "notice": f"reminder:{due.round_key}",
               "sms_outbox_id": sms_id}  # fmt: skip
    return dj.HistoryRow(due.id, note, details)


async def _remind(
    conn: AnyConnection, now: datetime, template: str, claimed: Sequence[dj.DueRequest]
) -> None:
    notices = [notice(d, now) for d in claimed if d.agency_id is not None]
    await dj.add_agency_notices(conn, now, NOTICE_KIND, notices)
    messages = [
        dj.Sms(d.id, mobile, sms_text(template, d))
        for d in claimed
        if (mobile := _mobile(d)) is not None
    ]
    outbox = await dj.queue_sms(conn, messages) if messages else {}
    history = [_history(d, outbox.get(d.id)) for d in claimed]
    await dj.insert_history(conn, now, "reminder_sent", history)


async def remind_agencies(
    pool: Pool,
    now: datetime,
    *,
    daytime: tuple[time, time] = DAYTIME,
    batch: int = BATCH,
) -> int:
    """Remind the agencies of every request due for its reminder at `now`; how many."""
    require_aware(now, "now")
    template = await TemplateRepository(pool).body_of(REMINDER_TEMPLATE)
    total = 0
    while True:
        async with connection(pool) as conn, conn.transaction():
            claimed = await dj.claim_reminders(conn, now, batch, daytime)
            if claimed:
                await _remind(conn, now, template, claimed)
        total += len(claimed)
        if len(claimed) < batch:
            break
    if total:
        log.info("reminded agencies of %d requests", total)
    return total
