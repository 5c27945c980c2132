from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from samad_ivr.agi.handlers import subscribe
from samad_ivr.agi.protocol import AgiEnvironment
from samad_ivr.storage.db import Pool, StorageUnavailable
from samad_ivr.storage.notices import NoticeRepository

from .conftest import World

NOW = datetime(2025, 5, 3, 8, 30, tzinfo=UTC)


@dataclass
class FakeChannel:
    callerid: str
    variables: dict[str, str] = field(default_factory=dict)

    @property
    def env(self) -> AgiEnvironment:
        return AgiEnvironment(
            network_script="subscribe",
            args=(),
            uniqueid="1746261000.1",
            channel="PJSIP/trunk-00000001",
            callerid=self.callerid,
            calleridname="",
            language="fa",
            context="samad-subscribe",
            extension="s",
            priority=1,
            raw={},
        )

    async def set_variable(self, name: str, value: str) -> None:
        self.variables[name] = value


class DownStore:
    async def subscribe_confirmed(self, center_code: str, destination: str, now: datetime) -> bool:
        raise StorageUnavailable("down")


def deps(store: subscribe.Subscriptions, center: str = "hamedan") -> subscribe.SubscribeDeps:
    return subscribe.SubscribeDeps(subscriptions=store, center_code=center, clock=lambda: NOW)


async def test_a_mobile_caller_is_subscribed_confirmed_with_the_number_in_e164(
    db_pool: Pool, world: World
) -> None:
    channel = FakeChannel(callerid="00989121234567")
    await subscribe.handle(channel, deps(NoticeRepository(db_pool)))
    assert channel.variables == {"SAMAD_SUBSCRIBED": "1"}
    row = await db_pool.fetchrow("SELECT destination, source, confirmed FROM subscriptions")
    assert row is not None
    assert (row["destination"], row["source"], row["confirmed"]) == ("+989121234567", "ivr", True)


async def test_subscribing_twice_by_phone_keeps_one_subscription(
    db_pool: Pool, world: World
) -> None:
    for raw in ("09121234567", "+989121234567"):
        await subscribe.handle(FakeChannel(callerid=raw), deps(NoticeRepository(db_pool)))
    assert await db_pool.fetchval("SELECT count(*) FROM subscriptions") == 1


async def test_a_landline_caller_is_not_subscribed(db_pool: Pool, world: World) -> None:
    channel = FakeChannel(callerid="08138261234")
    await subscribe.handle(channel, deps(NoticeRepository(db_pool)))
    assert channel.variables == {"SAMAD_SUBSCRIBED": "0"}
    assert await db_pool.fetchval("SELECT count(*) FROM subscriptions") == 0


async def test_an_anonymous_caller_is_not_subscribed(db_pool: Pool, world: World) -> None:
    channel = FakeChannel(callerid="anonymous")
    await subscribe.handle(channel, deps(NoticeRepository(db_pool)))
    assert channel.variables == {"SAMAD_SUBSCRIBED": "0"}


async def test_an_unknown_center_leaves_the_caller_unsubscribed(
    db_pool: Pool, world: World
) -> None:
    channel = FakeChannel(callerid="09121234567")
    await subscribe.handle(channel, deps(NoticeRepository(db_pool), center="nowhere"))
    assert channel.variables == {"SAMAD_SUBSCRIBED": "0"}


async def test_a_database_outage_tells_the_dialplan_the_subscription_failed() -> None:
    channel = FakeChannel(callerid="09121234567")
    await subscribe.handle(channel, deps(DownStore()))
    assert channel.variables == {"SAMAD_SUBSCRIBED": "0"}
