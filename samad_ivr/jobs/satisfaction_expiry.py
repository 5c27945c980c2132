"""Job: a question nobody answered in time closes its request as answered-without-reply.

A question whose request has left that answer's round (an inspector acted, a new answer
came) is settled as superseded at the next run, without waiting for its end.

A question open past its `expires_at` (seven days after asking by default) is settled
`no_reply`; when it was the last open question of that answer, the request is closed
(`accept` by the `satisfaction` job, the history saying no reply came).  A callback still
ringing is left until it ends.  Each question is settled in its own transaction through
samad_ivr.storage.satisfaction_verdicts (request lock, then question lock), so two
instances at once settle each question once and never deadlock.
"""

from __future__ import annotations

import logging
from datetime import datetime

from samad_ivr.domain.satisfaction import Outcome
from samad_ivr.storage import satisfaction as sq
from samad_ivr.storage.db import Pool, connection, require_aware
from samad_ivr.storage.lifecycle import Actor
from samad_ivr.storage.satisfaction_verdicts import Verdict, Verdicts

__all__ = ["close_unanswered"]

log = logging.getLogger(__name__)

BATCH = 200


async def close_unanswered(pool: Pool, verdicts: Verdicts, now: datetime) -> int:
    """Settle every question expired at `now`; how many requests were closed."""
    require_aware(now, "now")
    closed = 0
    seen: set[int] = set()
    while True:
        # Read without locks: each question is locked (request first) when it is settled.
        async with connection(pool) as conn:
            ids = await sq.expired_ids(conn, now, BATCH)
            questions = [q for i in ids if i not in seen and (q := await sq.get_question(conn, i))]
        if not questions:
            break
        for q in questions:
            seen.add(q.id)
            done = await verdicts.settle(q, Outcome.NO_REPLY, actor=Actor.named(sq.JOB), now=now)
            closed += done.verdict is Verdict.MOVED
        if len(ids) < BATCH:
            break
    if closed:
        log.info("closed %d requests whose citizens did not reply", closed)
    return closed
