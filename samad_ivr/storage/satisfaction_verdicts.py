"""A question's verdict moves its request: convinced -> closed, not convinced -> reopened,
no reply by the end -> closed as answered-without-reply.

Every verdict goes through `RequestLifecycle.act` (the request's row lock, the domain's
transition table, one history row); the question is settled inside that same
transaction, after the request's lock and then the question's, always in that order.
A question whose request has moved on since it was asked (an inspector acted, a new
answer came) is superseded instead: the reply is kept, the request is left alone.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from samad_ivr.domain.lifecycle import Action, Status
from samad_ivr.domain.satisfaction import Outcome
from samad_ivr.storage import satisfaction as sq
from samad_ivr.storage.db import Pool, PoolConnection, connection
from samad_ivr.storage.lifecycle import Actor, RequestLifecycle, RequestState, TransitionConflict

__all__ = ["Settled", "Verdict", "Verdicts"]

log = logging.getLogger(__name__)

LOCK_REQUEST_SQL = "SELECT status, answered_at FROM requests WHERE id = $1 FOR UPDATE"
OTHERS_OPEN_SQL = """
SELECT count(*) FROM satisfaction_questions
WHERE request_id = $1 AND round_at = $2 AND outcome = 'open' AND id <> $3
"""

NOTE_FA = {
    Outcome.CONVINCED: "شهروند اعلام کرد پاسخ قانع‌کننده بود؛ درخواست بسته شد.",
    Outcome.NOT_CONVINCED: "شهروند اعلام کرد پاسخ قانع‌کننده نبود؛ درخواست بازگشایی شد.",
    Outcome.NO_REPLY: "شهروند در مهلت پاسخی نداد؛ درخواست با «پاسخ داده شده، بدون نظر» بسته شد.",
}
MARK_FA = {
    Outcome.NO_REPLY: "بدون پاسخ در مهلت؛ پرسش دیگری از شهروند هنوز باز است.",
    Outcome.SUPERSEDED: "وضعیت درخواست پس از این پرسش تغییر کرده بود؛ پرسش بی‌اثر شد"
    " و تغییری در درخواست داده نشد.",
}

# Writes of the caller inside the verdict's transaction (the reply's own row).
Also = Callable[[PoolConnection, sq.Question], Awaitable[dict[str, Any]]]


class Verdict(StrEnum):
    MOVED = "moved"  # the request was closed or reopened
    SUPERSEDED = "superseded"  # the request had moved on; kept, nothing changed
    NOT_OPEN = "not_open"  # the question was settled already (a second reply, a race)
    WAITING = "waiting"  # expired, but another question of the round is still open


@dataclass(frozen=True, slots=True)
class Settled:
    verdict: Verdict
    state: RequestState | None = None


class _NotOpen(Exception):
    pass


class _Moved(Exception):
    pass


class _OthersOpen(Exception):
    pass


class Verdicts:
    def __init__(self, pool: Pool, lifecycle: RequestLifecycle) -> None:
        self._pool = pool
        self._lifecycle = lifecycle

    async def settle(
        self,
        question: sq.Question,
        outcome: Outcome,
        *,
        actor: Actor,
        now: datetime,
        also: Also | None = None,
    ) -> Settled:
        """Apply a reply (convinced / not convinced) or the expiry (no_reply)."""
        if outcome is Outcome.OPEN or outcome is Outcome.SUPERSEDED:
            raise ValueError(f"{outcome} is not a verdict")
        action = Action.REOPEN if outcome is Outcome.NOT_CONVINCED else Action.ACCEPT
        extra: dict[str, Any] = {}

        async def within(
            conn: PoolConnection, before: RequestState, _after: RequestState
        ) -> dict[str, Any]:
            q = await sq.lock_question(conn, question.id)
            if q is None or q.outcome is not Outcome.OPEN:
                raise _NotOpen
            if before.status is not Status.ANSWERED or before.answered_at != q.round_at:
                raise _Moved
            if outcome is Outcome.NO_REPLY:
                if q.expires_at > now:
                    raise _NotOpen
                if await conn.fetchval(OTHERS_OPEN_SQL, q.request_id, q.round_at, q.id):
                    raise _OthersOpen
            await sq.settle(conn, q.id, outcome, now)
            others = await sq.supersede_round(conn, q.request_id, q.id, now)
            extra.update(await also(conn, q) if also is not None else {})
            return {
                "satisfaction": outcome.value, "question_id": q.id, "channel": q.channel.value,
                "superseded": [i for i, _c in others], **extra,
            }  # fmt: skip

        try:
            state = await self._lifecycle.act(
                question.request_id, action, actor=actor, now=now, note=NOTE_FA[outcome],
                within=within,
            )  # fmt: skip
        except _NotOpen:
            return Settled(Verdict.NOT_OPEN)
        except _OthersOpen:
            await self._mark(question, Outcome.NO_REPLY, now, also)
            return Settled(Verdict.WAITING)
        except (_Moved, TransitionConflict):
            await self._mark(question, Outcome.SUPERSEDED, now, also)
            return Settled(Verdict.SUPERSEDED)
        log.info("request %s: %s (question %s)", question.request_id, outcome, question.id)
        return Settled(Verdict.MOVED, state)

    async def _mark(
        self, question: sq.Question, outcome: Outcome, now: datetime, also: Also | None
    ) -> None:
        """Settle the question alone (the request stays as it is), same lock order."""
        async with connection(self._pool) as conn, conn.transaction():
            await conn.fetchrow(LOCK_REQUEST_SQL, question.request_id)
            q = await sq.lock_question(conn, question.id)
            if q is None or q.outcome is not Outcome.OPEN:
                return
            await sq.settle(conn, q.id, outcome, now)
            details = await also(conn, q) if also is not None else {}
            note = MARK_FA[outcome]
            await sq.add_history(
                conn, q.request_id, now, "satisfaction_reply", note,
                {"satisfaction": outcome.value, "question_id": q.id, "channel": q.channel.value,
                 **details},
            )  # fmt: skip
