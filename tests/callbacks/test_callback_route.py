"""The FastAGI routes callback_offer and callback_request against real PostgreSQL."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from samad_ivr.agi.handlers.callback import (
    OFFER,
    STORED,
    CallbackRouteDeps,
    handle_offer,
    handle_request,
)
from samad_ivr.agi.protocol import AgiEnvironment
from samad_ivr.calls.routing import RoutingService
from samad_ivr.domain.callbacks import CallbackPolicy
from samad_ivr.storage.callbacks import CallbackRepository
from samad_ivr.storage.db import Pool
from samad_ivr.storage.roster import RosterRepository

TEHRAN = ZoneInfo("Asia/Tehran")
SESSION_START = datetime(2025, 3, 1, 9, 0, tzinfo=TEHRAN)
SESSION_END = datetime(2025, 3, 1, 11, 0, tzinfo=TEHRAN)
POLICY = CallbackPolicy(max_queue_length=5)


class FakeChannel:
    def __init__(self, args: tuple[str, ...], caller: str = "09121234567",
                 uniqueid: str = "1740800000.7", entered: str = "") -> None:  # fmt: skip
        self.env = AgiEnvironment(
            network_script="callback_offer", args=args, uniqueid=uniqueid,
            channel="PJSIP/trunk-00000001", callerid=caller, calleridname="", language="fa",
            context="samad-callback-offer", extension="s", priority=3, raw={},
        )  # fmt: skip
        self.entered = entered
        self.variables: dict[str, str] = {}

    async def get_full_variable(self, expression: str) -> str | None:
        assert expression == "${SAMAD_QUEUE_ENTER}"
        return self.entered

    async def set_variable(self, name: str, value: str) -> None:
        self.variables[name] = value

    async def set_variables(self, values: Mapping[str, str]) -> None:
        self.variables.update(values)


@pytest.fixture
async def center(db_pool: Pool) -> int:
    roster = RosterRepository(db_pool)
    center_id = await roster.ensure_center("hamedan", "مرکز سامد همدان", "samad-hamedan")
    official = await roster.add_official(center_id, "استاندار", "استاندار", None, "PJSIP/desk-1")
    await roster.add_slot(center_id, official, SESSION_START, SESSION_END)
    return center_id


def _deps(pool: Pool, now: datetime) -> CallbackRouteDeps:
    routing = RoutingService(RosterRepository(pool), "hamedan", fresh_for=timedelta(0))
    return CallbackRouteDeps(CallbackRepository(pool), routing.decide, POLICY, lambda: now)


async def test_offered_when_the_line_would_outlast_the_session(db_pool: Pool, center: int) -> None:
    near_end = SESSION_END - timedelta(minutes=10)
    channel = FakeChannel(args=("3", "1", "0"))  # 3 waiting, 1 desk: ~12.5 min > 10 min left
    await handle_offer(channel, _deps(db_pool, near_end))
    assert channel.variables == {OFFER: "1"}


async def test_offered_when_the_line_is_longer_than_the_limit(db_pool: Pool, center: int) -> None:
    early = SESSION_START + timedelta(minutes=5)
    channel = FakeChannel(args=("6", "6", "0"))
    await handle_offer(channel, _deps(db_pool, early))
    assert channel.variables == {OFFER: "1"}


async def test_not_offered_for_a_short_line_nor_to_an_unknown_number(
    db_pool: Pool, center: int
) -> None:
    early = SESSION_START + timedelta(minutes=5)
    short = FakeChannel(args=("2", "1", "0"))
    await handle_offer(short, _deps(db_pool, early))
    anonymous = FakeChannel(args=("9", "1", "0"), caller="anonymous")
    await handle_offer(anonymous, _deps(db_pool, SESSION_END - timedelta(minutes=1)))
    assert (short.variables, anonymous.variables) == ({OFFER: "0"}, {OFFER: "0"})


async def test_pending_callbacks_count_as_callers_ahead(db_pool: Pool, center: int) -> None:
    early = SESSION_START + timedelta(minutes=5)
    repo = CallbackRepository(db_pool)
    for n in range(4):
        await repo.request(center, f"1740.{n}", "+989121234567", early, SESSION_END, early)
    channel = FakeChannel(args=("2", "6", "0"))  # 2 + 4 callbacks = 6 > limit 5
    await handle_offer(channel, _deps(db_pool, early))
    assert channel.variables == {OFFER: "1"}


async def test_request_keeps_the_moment_the_caller_reached_the_queue(
    db_pool: Pool, center: int
) -> None:
    now = SESSION_START + timedelta(minutes=30)
    entered = now - timedelta(minutes=4)
    channel = FakeChannel(args=(), entered=str(int(entered.timestamp())))
    await handle_request(channel, _deps(db_pool, now))
    assert channel.variables == {STORED: "1"}
    (cb,) = await CallbackRepository(db_pool).open_line(center)
    assert (cb.origin_uniqueid, cb.caller_e164, cb.queued_at, cb.session_ends_at) == (
        "1740800000.7", "+989121234567", entered.astimezone(UTC), SESSION_END,
    )  # fmt: skip


async def test_no_callback_outside_the_session(db_pool: Pool, center: int) -> None:
    channel = FakeChannel(args=())
    await handle_request(channel, _deps(db_pool, SESSION_END + timedelta(minutes=1)))
    assert channel.variables == {STORED: "0"}
    assert await CallbackRepository(db_pool).open_line(center) == []
