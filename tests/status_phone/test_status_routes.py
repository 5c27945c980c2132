"""The status_lookup and status_resend routes with an in-memory channel and fakes."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime

import pytest

from samad_ivr.agi import variables as v
from samad_ivr.agi.handlers import status_lookup, status_resend
from samad_ivr.agi.handlers.status_lookup import StatusDeps
from samad_ivr.agi.protocol import AgiEnvironment
from samad_ivr.domain.lifecycle import Status
from samad_ivr.domain.spoken import jalali_date_prompts
from samad_ivr.domain.status_line import UNKNOWN_CALLER, FoundRequest, Outcome
from samad_ivr.storage.db import StorageUnavailable
from samad_ivr.storage.status_lookups import LookupResult, Resend

NOW = datetime(2025, 3, 5, 6, 30, tzinfo=UTC)
CODE = "1234567890"


class FakeChannel:
    def __init__(self, *args: str, caller: str = "09181234567", uniqueid: str = "1795894849.7"):
        self._env = AgiEnvironment(
            network_script="status_lookup", args=args, uniqueid=uniqueid,
            channel="Local/111@samad-inbound-00000000;2", callerid=caller, calleridname="",
            language="fa", context="samad-status", extension="s", priority=9, raw={},
        )  # fmt: skip
        self.variables: dict[str, str] = {}

    @property
    def env(self) -> AgiEnvironment:
        return self._env

    async def set_variables(self, values: Mapping[str, str]) -> None:
        self.variables.update(values)


class FakeLookups:
    def __init__(self, result: LookupResult | None = None, resend: Resend = Resend.SENT) -> None:
        self.result = result
        self.resend = resend
        self.down = False
        self.asked: list[dict[str, object]] = []

    async def look_up(
        self, *, call_uniqueid: str, caller_bucket: str, typed: str, now: datetime
    ) -> LookupResult:
        self.asked.append({"call": call_uniqueid, "bucket": caller_bucket, "typed": typed})
        if self.down:
            raise StorageUnavailable("database unavailable: ConnectionRefusedError")
        assert self.result is not None
        return self.result

    async def resend_answer(self, *, call_uniqueid: str, request_id: int, now: datetime) -> Resend:
        self.asked.append({"call": call_uniqueid, "request": request_id})
        if self.down:
            raise StorageUnavailable("database unavailable: ConnectionRefusedError")
        return self.resend


def deps(lookups: FakeLookups) -> StatusDeps:
    return StatusDeps(lookups=lookups, clock=lambda: NOW)


ANSWERED = FoundRequest(42, Status.ANSWERED, date(2025, 3, 4), date(2025, 3, 14), True, True)


async def test_a_found_answered_request_is_read_out_and_offers_the_answer_again() -> None:
    lookups = FakeLookups(LookupResult(Outcome.FOUND, ANSWERED, 2))
    channel = FakeChannel(CODE)
    await status_lookup.handle(channel, deps(lookups))
    assert lookups.asked == [{"call": "1795894849.7", "bucket": "+989181234567", "typed": CODE}]
    prompts = channel.variables[v.STATUS_PROMPTS].split("&")
    assert prompts[:3] == ["status-request-is", "status/answered", "status-last-change"]
    spoken_day = jalali_date_prompts(date(2025, 3, 4))
    assert prompts[3 : 3 + len(spoken_day)] == spoken_day
    assert prompts[-1] == "status-answer-sent"
    assert channel.variables[v.STATUS_RESULT] == "found"
    assert channel.variables[v.STATUS_MENU] == (
        "status-menu-resend&status-menu-another&status-menu-route"
    )
    assert channel.variables[v.STATUS_RESEND] == "1"
    assert channel.variables[v.STATUS_REQUEST] == "42"
    assert channel.variables[v.STATUS_MORE] == "1"


async def test_a_wrong_check_digit_with_attempts_left_lets_the_caller_type_again() -> None:
    channel = FakeChannel("1234567891")
    await status_lookup.handle(channel, deps(FakeLookups(LookupResult(Outcome.INVALID, None, 1))))
    assert channel.variables[v.STATUS_RESULT] == "invalid"
    assert channel.variables[v.STATUS_PROMPTS] == "status-code-invalid"
    assert channel.variables[v.STATUS_MORE] == "1"
    assert channel.variables[v.STATUS_RESEND] == "0"


async def test_the_last_attempt_of_the_call_says_no_more_codes_can_be_typed() -> None:
    channel = FakeChannel("1234567891")
    await status_lookup.handle(channel, deps(FakeLookups(LookupResult(Outcome.NOT_FOUND, None, 0))))
    assert channel.variables[v.STATUS_PROMPTS] == "status-not-found&status-limit-call"
    assert channel.variables[v.STATUS_MORE] == "0"
    assert channel.variables[v.STATUS_MENU] == "status-menu-route"


@pytest.mark.parametrize("outcome", [Outcome.LIMIT_CALLER, Outcome.LIMIT_CENTER])
async def test_an_hourly_refusal_offers_no_other_code_on_this_call(outcome: Outcome) -> None:
    channel = FakeChannel(CODE)
    await status_lookup.handle(channel, deps(FakeLookups(LookupResult(outcome, None, 3))))
    assert channel.variables[v.STATUS_RESULT] == outcome.value
    assert channel.variables[v.STATUS_PROMPTS] == f"status-{outcome.value.replace('_', '-')}"
    assert channel.variables[v.STATUS_MORE] == "0"


@pytest.mark.parametrize(
    "caller", ["", "anonymous", "0918\r\nAction: Originate", '"x" <a;b>', "9" * 300]
)
async def test_a_hostile_or_withheld_caller_id_counts_in_the_shared_bucket(caller: str) -> None:
    lookups = FakeLookups(LookupResult(Outcome.NOT_FOUND, None, 2))
    await status_lookup.handle(FakeChannel(CODE, caller=caller), deps(lookups))
    assert lookups.asked[0]["bucket"] == UNKNOWN_CALLER


async def test_typed_garbage_is_stored_as_keypad_characters_only() -> None:
    lookups = FakeLookups(LookupResult(Outcome.INVALID, None, 2))
    await status_lookup.handle(FakeChannel("12\r\n34;#"), deps(lookups))
    assert lookups.asked[0]["typed"] == "1234"


async def test_a_dead_database_apologises_and_sends_the_call_on_to_routing() -> None:
    lookups = FakeLookups()
    lookups.down = True
    channel = FakeChannel(CODE)
    await status_lookup.handle(channel, deps(lookups))
    assert channel.variables[v.STATUS_RESULT] == "unavailable"
    assert channel.variables[v.STATUS_PROMPTS] == "status-unavailable"
    assert channel.variables[v.STATUS_MORE] == "0"


async def test_a_malformed_uniqueid_is_never_stored() -> None:
    lookups = FakeLookups(LookupResult(Outcome.FOUND, ANSWERED, 2))
    channel = FakeChannel(CODE, uniqueid="1.1;DROP")
    await status_lookup.handle(channel, deps(lookups))
    assert lookups.asked == []
    assert channel.variables[v.STATUS_RESULT] == "unavailable"


@pytest.mark.parametrize(
    ("outcome", "prompt"),
    [
        (Resend.SENT, "status-resent"),
        (Resend.ALREADY_TODAY, "status-resent-already"),
        (Resend.UNAVAILABLE, "status-resend-failed"),
    ],
)
async def test_the_resend_says_what_happened_and_leaves_the_menu_without_it(
    outcome: Resend, prompt: str
) -> None:
    lookups = FakeLookups(resend=outcome)
    channel = FakeChannel("42", "1")
    await status_resend.handle(channel, deps(lookups))
    assert lookups.asked == [{"call": "1795894849.7", "request": 42}]
    assert channel.variables[v.STATUS_RESENT] == outcome.value
    assert channel.variables[v.STATUS_PROMPTS] == prompt
    assert channel.variables[v.STATUS_RESEND] == "0"
    assert channel.variables[v.STATUS_MENU] == "status-menu-another&status-menu-route"


@pytest.mark.parametrize("request_arg", ["", "4x2", "9" * 40, "٤٢"])
async def test_a_forged_request_id_sends_nothing(request_arg: str) -> None:
    lookups = FakeLookups()
    channel = FakeChannel(request_arg, "0")
    await status_resend.handle(channel, deps(lookups))
    assert lookups.asked == []
    assert channel.variables[v.STATUS_RESENT] == "unavailable"
    assert channel.variables[v.STATUS_MENU] == "status-menu-route"


async def test_a_dead_database_during_the_resend_keeps_the_call_in_the_menu() -> None:
    lookups = FakeLookups()
    lookups.down = True
    channel = FakeChannel("42", "1")
    await status_resend.handle(channel, deps(lookups))
    assert channel.variables[v.STATUS_PROMPTS] == "status-resend-failed"
