"""Inbound SMS (MO): route a citizen's reply to its handler and store it.

- the opt-out word: the number receives no more notices (`sms_optouts`);
- a digit 1..5 from a number with a recent request: a satisfaction score for it;
- anything else: stored and ignored.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from samad_ivr.domain.phone import normalise_caller_id
from samad_ivr.sms.text import normalise_reply
from samad_ivr.storage.db import Pool, connection

log = logging.getLogger(__name__)

InboundKind = Literal["optout", "satisfaction", "unknown"]
MAX_TEXT = 1600  # ten concatenated parts; longer is not an SMS

INSERT_SQL = """
INSERT INTO sms_inbound (source, source_raw, text, received_at, kind, score, request_id, gateway_id)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
RETURNING id
"""
OPTOUT_SQL = """
INSERT INTO sms_optouts (destination, created_at, source) VALUES ($1, $2, $3)
ON CONFLICT (destination) DO NOTHING
"""
# The request a reply answers: the caller's latest one within the window. When the
# lifecycle issue records which request was asked, this query narrows to it.
LATEST_REQUEST_SQL = """
SELECT id FROM requests WHERE caller_e164 = $1 AND created_at >= $2
ORDER BY created_at DESC, id DESC LIMIT 1
"""
IS_OPTED_OUT_SQL = "SELECT 1 FROM sms_optouts WHERE destination = $1"


@dataclass(frozen=True, slots=True)
class InboundResult:
    id: int
    kind: InboundKind
    request_id: int | None


class InboundRouter:
    def __init__(
        self,
        pool: Pool,
        *,
        optout_words: tuple[str, ...],
        satisfaction_window: timedelta,
        clock: Callable[[], datetime],
    ) -> None:
        self._pool = pool
        self._optout = frozenset(normalise_reply(w) for w in optout_words)
        self._window = satisfaction_window
        self._clock = clock

    async def handle(self, source_raw: str, text: str, gateway_id: str | None) -> InboundResult:
        """Store one MO message and apply what it asks for, in one transaction."""
        now = self._clock()
        caller = normalise_caller_id(source_raw)
        reply = normalise_reply(text)
        kind: InboundKind = "unknown"
        score: int | None = None
        request_id: int | None = None
        async with connection(self._pool) as conn, conn.transaction():
            if caller.e164 is not None and reply in self._optout:
                kind = "optout"
                await conn.execute(OPTOUT_SQL, caller.e164, now, "sms")
            elif caller.e164 is not None and reply in {"1", "2", "3", "4", "5"}:
                request_id = await conn.fetchval(
                    LATEST_REQUEST_SQL, caller.e164, now - self._window
                )
                if request_id is not None:
                    kind, score = "satisfaction", int(reply)
            new_id = await conn.fetchval(
                INSERT_SQL, caller.e164, source_raw[:64], text[:MAX_TEXT], now, kind, score,
                request_id, gateway_id,
            )  # fmt: skip
        log.info("inbound sms %s from %s: %s", new_id, caller.masked, kind)
        return InboundResult(int(new_id), kind, request_id)

    async def is_opted_out(self, e164: str) -> bool:
        async with connection(self._pool) as conn:
            return bool(await conn.fetchval(IS_OPTED_OUT_SQL, e164))
