"""Route `satisfaction`: the citizen answered the callback and pressed a key (or not).

The dialplan (context samad-satisfaction) has played the question and read one key into
SAMAD_SAT_KEY; the Originate set SAMAD_SAT_QUESTION.  1 closes the request, 2 reopens
it (samad_ivr.storage.satisfaction_verdicts), anything else leaves the question open for
the next attempt.  Sets SAMAD_SAT_RESULT (convinced|not_convinced|none) so the dialplan
thanks the citizen in the right words; the handler itself plays nothing.  The channel
is read first and written last: no pooled connection is held across either.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from samad_ivr.agi import variables as v
from samad_ivr.agi.handlers.common import Channel
from samad_ivr.calls.finaliser import RecordingFinaliser
from samad_ivr.domain.satisfaction import Outcome, outcome_of_digit
from samad_ivr.storage import satisfaction as sq
from samad_ivr.storage import satisfaction_calls as sc
from samad_ivr.storage.calls import CallRepository
from samad_ivr.storage.db import Pool, StorageUnavailable, connection
from samad_ivr.storage.lifecycle import Actor
from samad_ivr.storage.satisfaction_verdicts import Verdict, Verdicts

__all__ = ["ACTOR", "SatisfactionDeps", "handle"]

log = logging.getLogger(__name__)

ACTOR = Actor.named("citizen_ivr")


@dataclass(frozen=True, slots=True)
class SatisfactionDeps:
    pool: Pool
    verdicts: Verdicts
    calls: CallRepository
    finaliser: RecordingFinaliser
    clock: Callable[[], datetime]


async def handle(channel: Channel, deps: SatisfactionDeps) -> None:
    question_id = (await channel.get_full_variable(f"${{{v.SATISFACTION_QUESTION}}}")) or ""
    key = ((await channel.get_full_variable(f"${{{v.SATISFACTION_KEY}}}")) or "")[:1]
    uniqueid = channel.env.uniqueid
    result = "none"
    try:
        result = await _apply(deps, uniqueid, question_id, key)
    except StorageUnavailable as exc:
        log.warning("satisfaction key of %s not stored: %s", uniqueid, exc)
    await channel.set_variable(v.SATISFACTION_RESULT, result)


async def _apply(deps: SatisfactionDeps, uniqueid: str, question_id: str, key: str) -> str:
    async with connection(deps.pool) as conn:
        attempt = await sc.attempt_by_uniqueid(conn, uniqueid)
        question = await sq.get_question(conn, attempt.question_id) if attempt else None
        if attempt is not None and key:
            await sc.set_digit(conn, uniqueid, key if key.isdigit() or key in "*#" else "")
    if attempt is None or question is None or str(question.id) != question_id:
        log.warning("callback %s names no booked question (%r)", uniqueid, question_id)
        return "none"
    outcome = outcome_of_digit(key)
    if outcome is None:
        log.info("callback %s: no valid key (%r); the question stays open", uniqueid, key)
        note = "شهروند در تماس کلید ۱ یا ۲ را نزد؛ پرسش باز می‌ماند."
        async with connection(deps.pool) as conn:
            await sq.add_history(
                conn, question.request_id, deps.clock(), "satisfaction_reply", note,
                {"question_id": question.id, "uniqueid": uniqueid, "key": key},
                job=ACTOR.job or "citizen_ivr",
            )  # fmt: skip
        return "none"

    async def also(_conn: Any, _q: sq.Question) -> dict[str, Any]:
        return {"uniqueid": uniqueid, "attempt": attempt.attempt_no, "key": key}

    settled = await deps.verdicts.settle(
        question, outcome, actor=ACTOR, now=deps.clock(), also=also
    )
    log.info("callback %s: %s -> %s", uniqueid, outcome, settled.verdict)
    if settled.verdict is Verdict.NOT_OPEN:
        return "none"
    return "convinced" if outcome is Outcome.CONVINCED else "not_convinced"
