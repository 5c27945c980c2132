"""Job: at the deadline, an agency's unanswered request goes to the inspectors.

Once the whole of `due_on` has passed in the center's time zone, an `assigned` request
becomes `escalated` (action 'escalate' in its history, by 'deadline_job') and so enters
the inspectors' overdue queue.  Set-based, a batch per transaction; idempotent and safe
on two instances at once (samad_ivr.storage.deadline_jobs).
"""

from __future__ import annotations

import logging
from datetime import datetime

from samad_ivr.storage import deadline_jobs
from samad_ivr.storage.db import Pool, connection, require_aware

log = logging.getLogger(__name__)

__all__ = ["escalate_overdue_requests"]

BATCH = 5000


async def escalate_overdue_requests(pool: Pool, now: datetime, *, batch: int = BATCH) -> int:
    """Escalate every assigned request whose deadline has passed at `now`; how many."""
    require_aware(now, "now")
    total = 0
    while True:
        async with connection(pool) as conn, conn.transaction():
            moved = await deadline_jobs.escalate_overdue(conn, now, batch)
        total += moved
        # A short batch: nothing more is due, or the rest is locked by a person acting
        # on it right now (the next round looks again).
        if moved < batch:
            break
    if total:
        log.info("escalated %d requests past their deadline", total)
    return total
