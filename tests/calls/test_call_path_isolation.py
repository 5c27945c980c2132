"""The call path has its own database capacity and never waits without a deadline.

Real PostgreSQL: the consoles' pool is exhausted (every connection held) and every
statement on the roster and the calls hangs behind a lock another connection holds, the
way a stuck PostgreSQL hangs instead of refusing.  The inbound route still decides from
the roster cache within its budget, the finished call is spooled, and once the lock is
gone the spool stores it.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg

from samad_ivr.agi import variables as v
from samad_ivr.agi.handlers import inbound, post_call
from samad_ivr.agi.handlers.common import RouteDeps
from samad_ivr.agi.protocol import AgiEnvironment
from samad_ivr.calls.finaliser import RecordingFinaliser
from samad_ivr.calls.intake import CallIntake
from samad_ivr.calls.report import CHANNEL_FIELDS, FIELD_SEPARATOR
from samad_ivr.calls.routing import RoutingService
from samad_ivr.calls.spool import Spool
from samad_ivr.ops.callpool import create_call_pool
from samad_ivr.settings import Settings
from samad_ivr.sms.templates import TemplateRepository
from samad_ivr.storage.calls import CallRepository
from samad_ivr.storage.db import Pool, StorageUnavailable, connection, create_pool
from samad_ivr.storage.desk import DeskRepository
from samad_ivr.storage.requests import RequestRepository
from samad_ivr.storage.roster import RosterRepository

TIMEOUT = 0.3  # the call pool's acquire and statement timeout in this test
ROUTE_WAIT = 0.05
TEN = datetime(2026, 11, 29, 6, 30, tzinfo=UTC)  # 10:00 in Tehran, the desk is open


class Channel:
    def __init__(self, uniqueid: str, values: Mapping[str, str] | None = None) -> None:
        self._env = AgiEnvironment(
            network_script="inbound", args=(), uniqueid=uniqueid,
            channel="PJSIP/trunk-00000001", callerid="09181234567", calleridname="",
            language="fa", context="samad-call", extension="s", priority=1, raw={},
        )  # fmt: skip
        self._values = dict(values or {})
        self.variables: dict[str, str] = {}

    @property
    def env(self) -> AgiEnvironment:
        return self._env

    async def get_full_variable(self, expression: str) -> str | None:
        return FIELD_SEPARATOR.join(self._values.get(key, "") for key in CHANNEL_FIELDS)

    async def set_variable(self, name: str, value: str) -> None:
        self.variables[name] = value

    async def set_variables(self, values: Mapping[str, str]) -> None:
        self.variables.update(values)


class Clock:
    def __init__(self) -> None:
        self.now = TEN

    def __call__(self) -> datetime:
        return self.now


def call_deps(pool: Pool, tmp_path: Path, clock: Clock) -> RouteDeps:
    calls, roster = CallRepository(pool), RosterRepository(pool)
    intake = CallIntake(
        calls=calls, requests=RequestRepository(pool), roster=roster,
        templates=TemplateRepository(pool), desk=DeskRepository(pool),
        recordings_dir=tmp_path, center_code="hamedan", tz=TEN.tzinfo,  # type: ignore[arg-type]
    )  # fmt: skip
    return RouteDeps(
        routing=RoutingService(roster, "hamedan", wait=ROUTE_WAIT),
        intake=intake,
        spool=Spool(tmp_path / "spool"),
        finaliser=RecordingFinaliser(intake=intake, calls=calls, recordings_dir=tmp_path),
        calls=Settings.from_env({}).calls,
        sounds_dir=tmp_path / "sounds",
        clock=clock,
    )


async def seed(pool: asyncpg.Pool) -> None:
    roster = RosterRepository(pool)
    center = await roster.ensure_center("hamedan", "مرکز سامد همدان", "samad-desk")
    await roster.set_weekend(center, frozenset())
    agency = await roster.ensure_agency(center, "استانداری همدان")
    official = await roster.add_official(
        center, "استاندار", "استاندار همدان", agency, "PJSIP/desk-1"
    )
    await roster.add_slot(center, official, TEN - timedelta(hours=1), TEN + timedelta(hours=2))


async def timed_inbound(uniqueid: str, deps: RouteDeps) -> tuple[float, dict[str, str]]:
    channel = Channel(uniqueid)
    started = time.perf_counter()
    await inbound.handle(channel, deps)
    return time.perf_counter() - started, channel.variables


async def test_a_hanging_database_and_a_full_web_pool_leave_calls_routed_and_spooled(
    db_pool: asyncpg.Pool, database_url: str, tmp_path: Path
) -> None:
    await seed(db_pool)
    web = await create_pool(database_url, min_size=0, max_size=2)
    cpool = await create_call_pool(database_url, size=2, timeout=TIMEOUT)
    locker = await asyncpg.connect(database_url)
    held = [await web.acquire(), await web.acquire()]
    try:
        clock = Clock()
        deps = call_deps(cpool, tmp_path, clock)
        _, variables = await timed_inbound("warm.1", deps)  # fills the roster cache
        assert variables[v.ROUTE] == "desk"
        await deps.intake.drain()

        # The consoles' pool is exhausted: a console request would wait (here: 0.2 s).
        with_web = asyncio.create_task(_one_console_query(web))
        # ... and the database hangs: every read of centers and write of calls waits.
        tx = locker.transaction()
        await tx.start()
        await locker.execute("LOCK TABLE centers, calls IN ACCESS EXCLUSIVE MODE")
        clock.now += timedelta(minutes=5)  # the cached roster is no longer fresh

        results = await asyncio.gather(*(timed_inbound(f"hung.{n}", deps) for n in range(20)))
        assert {r[1][v.ROUTE] for r in results} == {"desk"}
        assert {r[1][v.QUEUE] for r in results} == {"samad-desk"}  # the desks ring from it
        slowest = max(r[0] for r in results)
        assert slowest < ROUTE_WAIT + 0.1, f"slowest inbound decision {slowest:.3f}s"
        assert isinstance(await with_web, StorageUnavailable | TimeoutError)

        ended = Channel(
            "hung.0",
            {
                "started_epoch": str(clock.now.timestamp()),
                "ended_epoch": str((clock.now + timedelta(seconds=40)).timestamp()),
            },
        )
        started = time.perf_counter()
        await post_call.handle(ended, deps)
        assert time.perf_counter() - started < 3 * TIMEOUT + 0.3
        assert [p.name for p in deps.spool.pending()] == ["hung.0.post_call.json"]
        await deps.intake.drain()  # the background starts give up within the timeout
        await tx.rollback()

        stats = await deps.spool.replay(deps.intake, deps.finaliser)
        assert (stats.replayed, stats.remaining) == (1, 0)
        call = await CallRepository(db_pool).get_call("hung.0")
        assert call is not None
        assert call.ended_at is not None
        assert call.caller_e164 == "+989181234567"
    finally:
        for conn in held:
            await web.release(conn)
        await locker.close()
        await web.close()
        await cpool.close()


async def _one_console_query(web: Pool) -> BaseException | None:
    try:
        async with asyncio.timeout(0.2):
            async with connection(web) as conn:
                await conn.fetchval("SELECT 1")
    except (StorageUnavailable, TimeoutError) as exc:
        return exc
    return None


async def test_every_acquire_on_the_call_pool_has_a_deadline(database_url: str) -> None:
    cpool = await create_call_pool(database_url, size=1, timeout=TIMEOUT)
    try:
        async with connection(cpool) as first:
            await first.fetchval("SELECT 1")
            started = time.perf_counter()
            try:
                # Pool.fetchval acquires internally: the default deadline applies there too.
                await cpool.fetchval("SELECT 1")
            except TimeoutError:
                pass
            else:
                raise AssertionError("a second acquire on a full call pool succeeded")
            assert time.perf_counter() - started < TIMEOUT + 0.2
        started = time.perf_counter()
        try:
            async with connection(cpool) as conn:
                await conn.fetchval("SELECT pg_sleep(5)")
        except StorageUnavailable:
            pass
        else:
            raise AssertionError("a 5 s statement outlived the call pool's timeout")
        assert time.perf_counter() - started < TIMEOUT + 0.5
        assert await cpool.fetchval("SELECT 2") == 2  # the pool recovers at once
    finally:
        await cpool.close()
