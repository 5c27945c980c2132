"""The FastAGI route `satisfaction` with an in-memory channel and a real PostgreSQL."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path

from samad_ivr.agi import variables as v
from samad_ivr.agi.handlers import satisfaction
from samad_ivr.agi.protocol import AgiEnvironment
from samad_ivr.ami.originate import CallResult
from samad_ivr.calls.finaliser import RecordingFinaliser
from samad_ivr.calls.intake import CallIntake
from samad_ivr.domain.satisfaction import Channel
from samad_ivr.jobs.satisfaction_ask import ask_citizens
from samad_ivr.jobs.satisfaction_calls import Callbacks
from samad_ivr.sms.templates import TemplateRepository
from samad_ivr.storage.calls import CallRepository
from samad_ivr.storage.db import Pool
from samad_ivr.storage.desk import DeskRepository
from samad_ivr.storage.requests import RequestRepository
from samad_ivr.storage.roster import RosterRepository

from .conftest import ANSWERED_AT, TEHRAN, Answered, FakePhone, policy, tehran


class FakeChannel:
    """The callback's channel: answers GET FULL VARIABLE from a dict, records sets."""

    def __init__(self, uniqueid: str, values: Mapping[str, str]) -> None:
        self._env = AgiEnvironment(
            network_script="satisfaction", args=(), uniqueid=uniqueid,
            channel="Local/09121234567@trunk-00000001;1", callerid="111", calleridname="",
            language="fa", context="samad-satisfaction", extension="s", priority=12, raw={},
        )  # fmt: skip
        self.values = dict(values)
        self.variables: dict[str, str] = {}

    @property
    def env(self) -> AgiEnvironment:
        return self._env

    async def get_full_variable(self, expression: str) -> str | None:
        return self.values.get(expression.removeprefix("${").removesuffix("}"))

    async def set_variable(self, name: str, value: str) -> None:
        self.variables[name] = value

    async def set_variables(self, values: Mapping[str, str]) -> None:
        self.variables.update(values)


def deps(pool: Pool, answered: Answered, tmp_path: Path) -> satisfaction.SatisfactionDeps:
    calls = CallRepository(pool)
    intake = CallIntake(
        calls=calls, requests=RequestRepository(pool), roster=RosterRepository(pool),
        templates=TemplateRepository(pool), desk=DeskRepository(pool), recordings_dir=tmp_path,
        center_code="hamedan", tz=TEHRAN,
    )  # fmt: skip
    finaliser = RecordingFinaliser(intake=intake, calls=calls, recordings_dir=tmp_path)
    return satisfaction.SatisfactionDeps(
        pool=pool, verdicts=answered.verdicts, calls=calls, finaliser=finaliser,
        clock=lambda: tehran(5, 10, 1),
    )  # fmt: skip


async def answered_callback(pool: Pool) -> tuple[str, str]:
    """The callback's unique id and question id, once the citizen picked up."""
    await ask_citizens(pool, ANSWERED_AT + timedelta(days=1), policy(Channel.CALL))
    phone = FakePhone([CallResult.ANSWERED])
    await Callbacks(pool, phone, policy().call, dial="Local/{national}@t", caller_id="111",
                    max_calls=1, clock=lambda: tehran(5, 10)).ring_due()  # fmt: skip
    call = phone.placed[0]
    return call.channel_id, call.variables[v.SATISFACTION_QUESTION]


async def status(pool: Pool, request_id: int) -> str:
    return str(await pool.fetchval("SELECT status FROM requests WHERE id = $1", request_id))


async def test_key_1_on_the_callback_closes_the_request_and_thanks_the_citizen(
    db_pool: Pool, answered: Answered, tmp_path: Path
) -> None:
    uniqueid, question = await answered_callback(db_pool)
    channel = FakeChannel(uniqueid, {v.SATISFACTION_QUESTION: question, v.SATISFACTION_KEY: "1"})
    await satisfaction.handle(channel, deps(db_pool, answered, tmp_path))
    assert channel.variables == {v.SATISFACTION_RESULT: "convinced"}
    assert await status(db_pool, answered.request_id) == "closed"
    digit = await db_pool.fetchval("SELECT digit FROM satisfaction_calls WHERE uniqueid = $1",
                                   uniqueid)  # fmt: skip
    assert digit == "1"


async def test_another_key_or_none_leaves_the_question_open_for_the_next_call(
    db_pool: Pool, answered: Answered, tmp_path: Path
) -> None:
    uniqueid, question = await answered_callback(db_pool)
    for key in ("9", ""):
        channel = FakeChannel(
            uniqueid, {v.SATISFACTION_QUESTION: question, v.SATISFACTION_KEY: key}
        )
        await satisfaction.handle(channel, deps(db_pool, answered, tmp_path))
        assert channel.variables == {v.SATISFACTION_RESULT: "none"}
    assert await status(db_pool, answered.request_id) == "answered"
    outcome = await db_pool.fetchval("SELECT outcome FROM satisfaction_questions")
    assert outcome == "open"
    lines = await db_pool.fetch(
        "SELECT job, note FROM request_history WHERE event = 'satisfaction_reply'"
    )
    assert [r["job"] for r in lines] == ["citizen_ivr", "citizen_ivr"]
    assert "کلید ۱ یا ۲ را نزد" in lines[0]["note"]


async def test_a_channel_naming_another_question_changes_nothing(
    db_pool: Pool, answered: Answered, tmp_path: Path
) -> None:
    uniqueid, question = await answered_callback(db_pool)
    forged = FakeChannel(uniqueid, {v.SATISFACTION_QUESTION: str(int(question) + 1),
                                    v.SATISFACTION_KEY: "2"})  # fmt: skip
    await satisfaction.handle(forged, deps(db_pool, answered, tmp_path))
    stranger = FakeChannel("1700000000.42", {v.SATISFACTION_QUESTION: question,
                                             v.SATISFACTION_KEY: "2"})  # fmt: skip
    await satisfaction.handle(stranger, deps(db_pool, answered, tmp_path))
    assert forged.variables == stranger.variables == {v.SATISFACTION_RESULT: "none"}
    assert await status(db_pool, answered.request_id) == "answered"
