"""An answered request of a center with a mobile caller, a settable clock, a fake phone."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from lifecycle.factories import make_agency, make_center, make_request

from samad_ivr.ami.originate import CallResult, OutboundCall
from samad_ivr.domain.deadlines import DeadlinePolicy
from samad_ivr.domain.lifecycle import Action
from samad_ivr.domain.satisfaction import CallPolicy, Channel, SatisfactionPolicy
from samad_ivr.storage.db import Pool
from samad_ivr.storage.lifecycle import Actor, RequestLifecycle
from samad_ivr.storage.satisfaction_verdicts import Verdicts

TEHRAN = ZoneInfo("Asia/Tehran")
CITIZEN = "+989121234567"
# A Wednesday in Tehran (Friday, weekday 4, is the center's weekend).
ANSWERED_AT = datetime(2026, 3, 4, 9, 0, tzinfo=TEHRAN).astimezone(UTC)


def policy(*channels: Channel, **call: object) -> SatisfactionPolicy:
    options: dict[str, object] = {
        "window_start": time(10), "window_end": time(18), "retries": 3,
        "retry_gap": timedelta(hours=4), "retry_span": timedelta(days=2), "ring_seconds": 20,
    }  # fmt: skip
    options.update(call)
    return SatisfactionPolicy(
        channels=frozenset(channels or (Channel.SMS, Channel.CALL)),
        ask_after=timedelta(days=1),
        reply_within=timedelta(days=7),
        call=CallPolicy(**options),  # type: ignore[arg-type]
    )


def tehran(day: int, hour: int, minute: int = 0) -> datetime:
    """A March 2026 instant in Tehran time."""
    return datetime(2026, 3, day, hour, minute, tzinfo=TEHRAN)


@dataclass
class FakePhone:
    """Originator: answers with the queued results (then no answer), remembers calls."""

    results: list[CallResult] = field(default_factory=list)
    placed: list[OutboundCall] = field(default_factory=list)

    async def place(self, call: OutboundCall) -> CallResult:
        self.placed.append(call)
        return self.results.pop(0) if self.results else CallResult.NO_ANSWER


@dataclass
class Answered:
    request_id: int
    center_id: int
    lifecycle: RequestLifecycle
    verdicts: Verdicts


async def answered_request(
    pool: Pool,
    caller: str = CITIZEN,
    at: datetime = ANSWERED_AT,
    agency_name: str = "ادارهٔ کل راه و شهرسازی",
) -> Answered:
    center = await make_center(pool)
    agency = await make_agency(pool, center, agency_name, "+989181110000")
    request_id = await make_request(pool, center, caller=caller)
    lifecycle = RequestLifecycle(pool, DeadlinePolicy())
    desk = Actor.named("intake")
    await lifecycle.assign(request_id, agency_id=agency, topic="housing", actor=desk,
                           now=at - timedelta(days=2))  # fmt: skip
    await lifecycle.act(request_id, Action.ANSWER, actor=desk, now=at)
    return Answered(request_id, center, lifecycle, Verdicts(pool, lifecycle))


@pytest.fixture
async def answered(db_pool: Pool) -> Answered:
    return await answered_request(db_pool)
