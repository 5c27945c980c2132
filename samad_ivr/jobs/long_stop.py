"""Job: the long stop — a request still unanswered long after its deadline (day 20).

Once `long_stop_on` has passed in the center's time zone, a request still `assigned` or
`escalated` gets `long_stop_at` (the national dashboard counts it), a 'long_stop'
history row by 'deadline_job', and a notification to its province's admins in
`admin_notifications` (its dedup key names the center, as the admin feed expects:
`long_stop:<center code>:<request>:<round>`).  Idempotent and safe on two instances.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime

from samad_ivr.domain.deadlines import days_left
from samad_ivr.domain.lifecycle import STATUS_FA, Status
from samad_ivr.domain.spoken import format_jalali_date
from samad_ivr.notices.text import fa_digits
from samad_ivr.storage import deadline_jobs as dj
from samad_ivr.storage.db import AnyConnection, Pool, connection, require_aware

log = logging.getLogger(__name__)

__all__ = ["NOTIFICATION_KIND", "long_stop_notification", "mark_long_stops"]

NOTIFICATION_KIND = "request_long_stop"
BATCH = 1000


def long_stop_notification(due: dj.DueRequest, now: datetime) -> dj.Notice:
    """What the province admins read: which request, which agency, how late."""
    late = -days_left(due.due_on, now.astimezone(due.tz).date())
    agency = due.agency_name or "—"
    code = fa_digits(due.tracking_code)
    return dj.Notice(
        request_id=due.id,
        agency_id=due.agency_id,
        subject=(f"{due.center_name}: درخواست {code} از مهلت نهایی گذشت — {agency}"),
        body=(
            f"درخواست با کد پیگیری {code} در {format_jalali_date(due.deadline_start)}"
            f" به «{agency}» ارجاع شد. مهلت پاسخ تا پایان {format_jalali_date(due.due_on)} بود"
            f" و اکنون {fa_digits(late)} روز از آن گذشته است؛ مهلت نهایی"
            f" ({format_jalali_date(due.long_stop_on)}) نیز سپری شده و درخواست هنوز"
            f" «{STATUS_FA[Status(due.status)]}» است."
        ),
        dedup_key=f"long_stop:{due.center_code}:{due.round_key}",
    )


async def _report(conn: AnyConnection, now: datetime, claimed: Sequence[dj.DueRequest]) -> None:
    notices = [long_stop_notification(d, now) for d in claimed]
    await dj.add_admin_notifications(conn, now, NOTIFICATION_KIND, notices)
    history = [
        dj.HistoryRow(
            d.id,
            f"مهلت نهایی ({format_jalali_date(d.long_stop_on)}) گذشت؛ به مدیران استان گزارش شد.",
            {
                "long_stop_on": d.long_stop_on.isoformat(),
                "due_on": d.due_on.isoformat(),
                "notification": n.dedup_key,
            },
        )
        for d, n in zip(claimed, notices, strict=True)
    ]
    await dj.insert_history(conn, now, "long_stop", history)


async def mark_long_stops(pool: Pool, now: datetime, *, batch: int = BATCH) -> int:
    """Mark and report every request past its long stop at `now`; how many."""
    require_aware(now, "now")
    total = 0
    while True:
        async with connection(pool) as conn, conn.transaction():
            claimed = await dj.claim_long_stops(conn, now, batch)
            if claimed:
                await _report(conn, now, claimed)
        total += len(claimed)
        if len(claimed) < batch:
            break
    if total:
        log.info("%d requests passed their long stop", total)
    return total
