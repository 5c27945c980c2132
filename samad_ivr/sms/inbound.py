"""Inbound SMS (MO): route a citizen's reply to its handler and store it.

- the opt-out word: the number receives no more notices (`sms_optouts`);
- 1 or 2 from a number with an open satisfaction question: the reply to *that* question
  (1 convinced: the request is closed; 2 not convinced: it is reopened for the
  inspectors), stored with the question's id (samad_ivr.storage.satisfaction_verdicts);
- anything else, or a digit with no open question: stored as `unknown`, nothing changes.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from samad_ivr.domain.phone import normalise_caller_id
from samad_ivr.domain.satisfaction import Outcome, outcome_of_digit
from samad_ivr.sms.text import normalise_reply
from samad_ivr.storage import satisfaction as sq
from samad_ivr.storage.db import AnyConnection, Pool, connection
from samad_ivr.storage.lifecycle import Actor
from samad_ivr.storage.satisfaction_verdicts import Verdict, Verdicts

log = logging.getLogger(__name__)

InboundKind = Literal["optout", "satisfaction", "unknown"]
MAX_TEXT = 1600  # ten concatenated parts; longer is not an SMS
ACTOR = Actor.named("citizen_sms")

INSERT_SQL = """
INSERT INTO sms_inbound (source, source_raw, text, received_at, kind, request_id, gateway_id,
                         question_id)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
RETURNING id
"""
OPTOUT_SQL = """
INSERT INTO sms_optouts (destination, created_at, source) VALUES ($1, $2, $3)
ON CONFLICT (destination) DO NOTHING
"""
IS_OPTED_OUT_SQL = "SELECT 1 FROM sms_optouts WHERE destination = $1"


@dataclass(frozen=True, slots=True)
class InboundResult:
    id: int
    kind: InboundKind
    request_id: int | None
    question_id: int | None = None


@dataclass(frozen=True, slots=True)
class _Message:
    source: str | None
    source_raw: str
    text: str
    received_at: datetime
    gateway_id: str | None

    async def store(
        self, conn: AnyConnection, kind: InboundKind, question: sq.Question | None = None
    ) -> int:
        new_id = await conn.fetchval(
            INSERT_SQL, self.source, self.source_raw[:64], self.text[:MAX_TEXT],
            self.received_at, kind, question.request_id if question else None,
            self.gateway_id, question.id if question else None,
        )  # fmt: skip
        return int(new_id)


class InboundRouter:
    def __init__(
        self,
        pool: Pool,
        *,
        optout_words: tuple[str, ...],
        verdicts: Verdicts,
        clock: Callable[[], datetime],
    ) -> None:
        self._pool = pool
        self._optout = frozenset(normalise_reply(w) for w in optout_words)
        self._verdicts = verdicts
        self._clock = clock

    async def handle(self, source_raw: str, text: str, gateway_id: str | None) -> InboundResult:
        """Store one MO message and apply what it asks for."""
        now = self._clock()
        caller = normalise_caller_id(source_raw)
        reply = normalise_reply(text)
        message = _Message(caller.e164, source_raw, text, now, gateway_id)
        outcome = outcome_of_digit(reply)
        if caller.e164 is not None and outcome is not None:
            result = await self._reply(message, caller.e164, outcome)
            if result is not None:
                log.info("inbound sms %s from %s: satisfaction reply", result.id, caller.masked)
                return result
        kind: InboundKind = "unknown"
        async with connection(self._pool) as conn, conn.transaction():
            if caller.e164 is not None and reply in self._optout:
                kind = "optout"
                await conn.execute(OPTOUT_SQL, caller.e164, now, "sms")
            new_id = await message.store(conn, kind)
        log.info("inbound sms %s from %s: %s", new_id, caller.masked, kind)
        return InboundResult(new_id, kind, None)

    async def _reply(self, message: _Message, e164: str, outcome: Outcome) -> InboundResult | None:
        """The reply to the number's open question; None when it has none."""
        async with connection(self._pool) as conn:
            question = await sq.open_sms_question(conn, e164)
        if question is None:
            return None
        stored: list[int] = []

        async def also(conn: Any, q: sq.Question) -> dict[str, Any]:
            stored.append(await message.store(conn, "satisfaction", q))
            return {"sms_inbound_id": stored[-1], "reply": message.text[:20]}

        settled = await self._verdicts.settle(
            question, outcome, actor=ACTOR, now=message.received_at, also=also
        )
        if settled.verdict is Verdict.NOT_OPEN or not stored:
            return None  # settled meanwhile (a duplicate, the other channel): unknown
        return InboundResult(stored[-1], "satisfaction", question.request_id, question.id)
