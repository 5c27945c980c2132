"""The inbound route against real PostgreSQL, with an in-memory channel."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import asyncpg
import pytest

from samad_ivr.agi import variables as v
from samad_ivr.agi.handlers import inbound
from samad_ivr.agi.handlers.common import RouteDeps
from samad_ivr.agi.protocol import AgiEnvironment
from samad_ivr.calls.finaliser import RecordingFinaliser
from samad_ivr.calls.intake import CallIntake
from samad_ivr.calls.routing import RoutingService
from samad_ivr.calls.spool import Spool
from samad_ivr.settings import Settings
from samad_ivr.sms.templates import TemplateRepository
from samad_ivr.storage.calls import CallRepository
from samad_ivr.storage.db import create_pool
from samad_ivr.storage.desk import DeskRepository
from samad_ivr.storage.requests import RequestRepository
from samad_ivr.storage.roster import RosterRepository

TEHRAN = ZoneInfo("Asia/Tehran")
# Sunday 1405-09-08, 08:30 in Tehran: before the desk opens at 09:00.
BEFORE_NINE = datetime(2026, 11, 29, 8, 30, tzinfo=TEHRAN)


class FakeChannel:
    """Records what the route sets; answers GET FULL VARIABLE from a dict."""

    def __init__(self, caller: str = "09181234567") -> None:
        self._env = AgiEnvironment(
            network_script="inbound",
            args=(),
            uniqueid="1795894849.1",
            channel="Local/111@samad-inbound-00000000;2",
            callerid=caller,
            calleridname="",
            language="fa",
            context="samad-call",
            extension="s",
            priority=14,
            raw={},
        )
        self.variables: dict[str, str] = {}

    @property
    def env(self) -> AgiEnvironment:
        return self._env

    async def get_full_variable(self, expression: str) -> str | None:
        return None

    async def set_variable(self, name: str, value: str) -> None:
        self.variables[name] = value

    async def set_variables(self, values: Mapping[str, str]) -> None:
        self.variables.update(values)


def deps_for(pool: asyncpg.Pool, tmp_path: Path, now: datetime) -> RouteDeps:
    settings = Settings.from_env({})
    calls, roster = CallRepository(pool), RosterRepository(pool)
    intake = CallIntake(
        calls=calls,
        requests=RequestRepository(pool),
        roster=roster,
        templates=TemplateRepository(pool),
        desk=DeskRepository(pool),
        recordings_dir=tmp_path,
        center_code="hamedan",
        tz=TEHRAN,
    )
    return RouteDeps(
        routing=RoutingService(roster, "hamedan"),
        intake=intake,
        spool=Spool(tmp_path / "spool"),
        finaliser=RecordingFinaliser(intake=intake, calls=calls, recordings_dir=tmp_path),
        calls=settings.calls,
        sounds_dir=tmp_path / "sounds",
        clock=lambda: now.astimezone(UTC),
    )


async def route(channel: FakeChannel, deps: RouteDeps) -> None:
    """The route, then the call-start write it leaves running in the background."""
    await inbound.handle(channel, deps)
    await deps.intake.drain()


async def seed(pool: asyncpg.Pool, *, deputy: bool) -> Mapping[str, int]:
    roster = RosterRepository(pool)
    center = await roster.ensure_center("hamedan", "مرکز سامد همدان", "samad-desk")
    await roster.set_weekend(center, frozenset())
    agency = await roster.ensure_agency(center, "استانداری همدان")
    deputy_id = None
    if deputy:
        deputy_id = await roster.add_official(
            center, "معاون", "معاون استاندار", agency, "PJSIP/deputy-1"
        )
    official = await roster.add_official(
        center, "استاندار", "استاندار همدان", agency, "PJSIP/desk-1", deputy_id=deputy_id
    )
    nine = BEFORE_NINE.replace(hour=9, minute=0)
    await roster.add_slot(center, official, nine, nine + timedelta(hours=2))
    return {"center": center, "official": official, "deputy": deputy_id or 0}


async def test_before_nine_the_caller_hears_the_session_at_nine_today(
    db_pool: asyncpg.Pool, tmp_path: Path
) -> None:
    await seed(db_pool, deputy=False)
    channel = FakeChannel()
    await route(channel, deps_for(db_pool, tmp_path, BEFORE_NINE))

    assert channel.variables[v.ROUTE] == "closed"
    announce = channel.variables[v.ANNOUNCE].split("&")
    # Sunday (weekdays/6), 8 Azar (months/9) 1405, at nine, then who.
    assert announce[:3] == ["closed-intro", "closed-next-session", "weekdays/6"]
    assert announce[3:5] == ["digits/8", "months/9"]
    assert announce[-4:] == ["time/hour", "digits/9", "closed-with", "official-generic"]


async def test_on_duty_the_caller_is_sent_to_the_queue_hearing_who_answers(
    db_pool: asyncpg.Pool, tmp_path: Path
) -> None:
    ids = await seed(db_pool, deputy=True)
    channel = FakeChannel()
    at_ten = BEFORE_NINE.replace(hour=10)
    await route(channel, deps_for(db_pool, tmp_path, at_ten))

    assert channel.variables[v.ROUTE] == "desk"
    # No desk is dialled directly: the queue's members ring (queue_members.py).
    assert "__" + v.DESK not in channel.variables
    assert channel.variables[v.WHO_PROMPTS].split("&") == [
        "oncall-intro", "official-generic", "oncall-connecting"
    ]
    assert channel.variables[v.OFFICIAL_ID] == str(ids["official"])
    assert channel.variables[v.DEPUTY_ID] == str(ids["deputy"])
    assert channel.variables[v.QUEUE] == "samad-desk"
    call = await CallRepository(db_pool).get_call("1795894849.1")
    assert call is not None
    assert call.caller_e164 == "+989181234567"


async def test_an_official_with_a_recorded_prompt_is_announced_with_it(
    db_pool: asyncpg.Pool, tmp_path: Path
) -> None:
    ids = await seed(db_pool, deputy=False)
    prompt = tmp_path / "sounds" / "officials" / f"{ids['official']}.sln"
    prompt.parent.mkdir(parents=True)
    prompt.write_bytes(b"\0" * 1600)
    channel = FakeChannel()
    await route(channel, deps_for(db_pool, tmp_path, BEFORE_NINE.replace(hour=10)))
    assert channel.variables[v.OFFICIAL_PROMPT] == f"officials/{ids['official']}"
    assert f"officials/{ids['official']}" in channel.variables[v.WHO_PROMPTS].split("&")


@pytest.mark.parametrize("caller", ['"\\evil\\" <0918>', "", "0918\x7f;${SHELL(id)}"])
async def test_without_a_readable_roster_the_caller_is_offered_a_message(
    tmp_path: Path, caller: str
) -> None:
    dead = await create_pool("postgresql://samad@127.0.0.1:9/samad", min_size=0, max_size=1)
    try:
        channel = FakeChannel(caller)
        await route(channel, deps_for(dead, tmp_path, BEFORE_NINE))
    finally:
        await dead.close()
    assert channel.variables[v.ROUTE] == "message"
