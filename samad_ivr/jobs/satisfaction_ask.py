"""Job: ask the citizen whether the agency's answer convinced them.

For each request answered at least `ask_after` ago (one day by default) and still
`answered`: one question per configured channel to the caller's mobile.  The SMS
question is queued in the outbox from the admin-editable `satisfaction_question`
template; the callback question is given its first ring in the next calling window of
the center (samad_ivr.jobs.satisfaction_calls rings it).  A number that still has an
open SMS question gets the next one when that is settled (a reply "2" must name one
request).  Idempotent and safe on two instances: requests are claimed with SKIP LOCKED
and each (request, answer, channel) is asked once (migration 0018).
"""

from __future__ import annotations

import logging
from datetime import datetime, time
from zoneinfo import ZoneInfo

from samad_ivr.domain.phone import normalise_caller_id
from samad_ivr.domain.satisfaction import (
    Channel,
    SatisfactionPolicy,
    next_call_slot,
    question_expires_at,
)
from samad_ivr.sms.templates import DEFAULT_SATISFACTION_QUESTION, TemplateRepository
from samad_ivr.sms.text import TemplateError, render_template
from samad_ivr.storage import deadline_jobs as dj
from samad_ivr.storage import satisfaction as sq
from samad_ivr.storage.db import AnyConnection, Pool, connection, require_aware

__all__ = ["TEMPLATE", "ask_citizens"]

log = logging.getLogger(__name__)

TEMPLATE = "satisfaction_question"
BATCH = 200
DAYTIME = (time(9, 0), time(20, 0))  # Tehran time: nobody is asked at night
EPOCH = datetime.fromisoformat("1970-01-01T00:00:00+00:00")
CHANNEL_FA = {Channel.SMS: "پیامک", Channel.CALL: "تماس تلفنی"}


def sms_text(template: str, request: sq.Unasked) -> str:
    values = {"code": request.tracking_code, "agency": request.agency_name or "دستگاه"}
    try:
        return render_template(template, values)
    except TemplateError:
        log.warning("template %s cannot be filled; the shipped text is used", TEMPLATE)
        return render_template(DEFAULT_SATISFACTION_QUESTION, values)


async def _ask(
    conn: AnyConnection,
    request: sq.Unasked,
    channel: Channel,
    mobile: str,
    now: datetime,
    policy: SatisfactionPolicy,
    template: str,
    calendars: sq.Calendars,
) -> int | None:
    first_ring = None
    if channel is Channel.CALL:
        tz, calendar = await calendars.of(request.center_id)
        first_ring = next_call_slot(now, tz, calendar, policy.call)
        if first_ring is None:
            return None
    expires = question_expires_at(now, policy)
    qid = await sq.insert_question(
        conn, request_id=request.id, round_at=request.answered_at, channel=channel,
        destination=mobile, asked_at=now, expires_at=expires, next_call_at=first_ring,
    )  # fmt: skip
    if qid is None:
        return None
    details: dict[str, object] = {"question_id": qid, "channel": channel.value,
                                  "expires_at": expires.isoformat()}  # fmt: skip
    if channel is Channel.SMS:
        outbox = await dj.queue_sms(conn, [dj.Sms(request.id, mobile, sms_text(template, request))])
        await sq.set_sms(conn, qid, outbox[request.id])
        details["sms_outbox_id"] = outbox[request.id]
    else:
        assert first_ring is not None
        details["first_call_at"] = first_ring.isoformat()
    note = f"از شهروند با {CHANNEL_FA[channel]} پرسیده شد که آیا پاسخ قانع‌کننده بود."
    await sq.add_history(conn, request.id, now, "satisfaction_asked", note, details)
    return qid


def _tehran(now: datetime) -> datetime:
    return now.astimezone(ZoneInfo("Asia/Tehran"))


async def ask_citizens(
    pool: Pool,
    now: datetime,
    policy: SatisfactionPolicy,
    *,
    batch: int = BATCH,
    daytime: tuple[time, time] = DAYTIME,
) -> int:
    """Ask about every answer due for its question at `now`; how many questions."""
    require_aware(now, "now")
    if not policy.channels or not daytime[0] <= _tehran(now).time() < daytime[1]:
        return 0
    template = await TemplateRepository(pool).body_of(TEMPLATE)
    after = (EPOCH, 0)
    asked = 0
    while True:
        async with connection(pool) as conn, conn.transaction():
            claimed = await sq.claim_unasked(
                conn, answered_by=now - policy.ask_after,
                answered_after=now - policy.ask_after - policy.reply_within, after=after,
                channels=policy.channels, batch=batch,
            )  # fmt: skip
            calendars = sq.Calendars(conn, now)
            for request in claimed:
                number = normalise_caller_id(request.caller_e164 or "")
                if number.e164 is None or not number.is_mobile:
                    continue  # a landline or a withheld number cannot be asked
                for channel in sorted(policy.channels - request.asked):
                    if await _ask(
                        conn, request, channel, number.e164, now, policy, template, calendars
                    ):
                        asked += 1
        if len(claimed) < batch:
            break
        after = (claimed[-1].answered_at, claimed[-1].id)
    if asked:
        log.info("asked %d satisfaction questions", asked)
    return asked
