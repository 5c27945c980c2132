"""The real server on an ephemeral port against a scripted Asterisk peer: command dialogs."""

from __future__ import annotations

import asyncio
import logging

import pytest

from samad_ivr.agi.channel import (
    AgiArgumentError,
    AgiChannel,
    AgiCommandError,
    AgiHangup,
)
from samad_ivr.agi.logcontext import CallIdFilter

from .fake_asterisk import FakeAsterisk, running_server

USAGE_520 = [
    b"520-Invalid command syntax.  Proper usage follows:",
    b" Usage: SAY NUMBER <number> <escape digits> [gender]",
    b"        Say a given number, returning early if any of the given DTMF digits",
    b"520 End of proper usage.",
]


async def test_normal_dialog_writes_exactly_the_expected_quoted_commands() -> None:
    seen: dict[str, object] = {}

    async def handler(channel: AgiChannel) -> None:
        seen["route"] = channel.env.network_script
        seen["args"] = channel.env.args
        await channel.answer()
        seen["lang"] = await channel.get_variable("SAMAD_LANG")
        seen["unset"] = await channel.get_variable("NOT_SET")
        await channel.set_variable("SAMAD_ROUTE", "menu main")
        seen["digit"] = await channel.stream_file("fa/welcome", "12#")
        seen["no_digit"] = await channel.stream_file("fa/thanks")
        seen["code"] = await channel.get_data("fa/enter-code", 5000, 4)
        seen["linkedid"] = await channel.get_full_variable("${CHANNEL(linkedid)}")
        await channel.verbose("samad menu")
        seen["exec"] = await channel.exec_app("Playback", "beep")
        await channel.hangup()

    async with running_server({"menu": handler}) as server:
        fake = await FakeAsterisk.connect(server.port, script="menu?x=1", args=("a1", "a 2"))
        await fake.expect(b"ANSWER", b"200 result=0")
        await fake.expect(b'GET VARIABLE "SAMAD_LANG"', b"200 result=1 (fa)")
        await fake.expect(b'GET VARIABLE "NOT_SET"', b"200 result=0")
        await fake.expect(b'SET VARIABLE "SAMAD_ROUTE" "menu main"', b"200 result=1")
        await fake.expect(b'STREAM FILE "fa/welcome" "12#"', b"200 result=50 endpos=12345")
        await fake.expect(b'STREAM FILE "fa/thanks" ""', b"200 result=0 endpos=800")
        await fake.expect(b'GET DATA "fa/enter-code" "5000" "4"', b"200 result=0012 (timeout)")
        await fake.expect(
            b'GET FULL VARIABLE "${CHANNEL(linkedid)}"', b"200 result=1 (1700000000.0)"
        )
        await fake.expect(b'VERBOSE "samad menu" "1"', b"200 result=1")
        await fake.expect(b'EXEC "Playback" "beep"', b"200 result=0")
        await fake.expect(b"HANGUP", b"200 result=1")
        await fake.expect_closed()
        await fake.close()
    assert seen == {
        "route": "menu",
        "args": ("a1", "a 2"),
        "lang": "fa",
        "unset": None,
        "digit": "2",
        "no_digit": None,
        "code": "0012",
        "linkedid": "1700000000.0",
        "exec": 0,
    }


async def test_hangup_line_before_the_reply_raises_hangup_and_nothing_more_is_written() -> None:
    outcome: list[object] = []

    async def handler(channel: AgiChannel) -> None:
        with pytest.raises(AgiHangup):
            await channel.stream_file("fa/welcome", "1")
        outcome.append(channel.hung_up)
        with pytest.raises(AgiHangup):
            await channel.set_variable("AFTER", "x")
        outcome.append("refused")

    async with running_server({"route": handler}) as server:
        fake = await FakeAsterisk.connect(server.port)
        assert await fake.read_command() == b'STREAM FILE "fa/welcome" "1"'
        await fake.send(b"HANGUP", b"200 result=0 endpos=100")
        await fake.expect_closed()
        await fake.close()
    assert outcome == [True, "refused"]


async def test_hangup_line_instead_of_the_reply_then_minus_one_keeps_the_stream_in_step() -> None:
    outcome: list[object] = []

    async def handler(channel: AgiChannel) -> None:
        try:
            await channel.get_data("fa/enter-code", 3000, 4)
        except AgiHangup:
            outcome.append("hangup")
        with pytest.raises(AgiHangup):
            await channel.get_variable("AFTER")
        # Reaching here without blocking proves the -1 line was consumed, not left behind.
        outcome.append(channel.hung_up)

    async with running_server({"route": handler}) as server:
        fake = await FakeAsterisk.connect(server.port)
        assert await fake.read_command() == b'GET DATA "fa/enter-code" "3000" "4"'
        await fake.send(b"HANGUP")
        await asyncio.sleep(0.05)
        await fake.send(b"200 result=-1")
        await fake.expect_closed()
        await fake.close()
    assert outcome == ["hangup", True]


async def test_minus_one_from_stream_file_is_a_hangup() -> None:
    raised: list[BaseException] = []

    async def handler(channel: AgiChannel) -> None:
        try:
            await channel.stream_file("fa/welcome")
        except AgiHangup as exc:
            raised.append(exc)
            raise

    async with running_server({"route": handler}) as server:
        fake = await FakeAsterisk.connect(server.port)
        await fake.expect(b'STREAM FILE "fa/welcome" ""', b"200 result=-1 endpos=0")
        await fake.expect_closed()
        await fake.close()
    assert len(raised) == 1


async def test_511_reply_is_a_hangup() -> None:
    raised: list[BaseException] = []

    async def handler(channel: AgiChannel) -> None:
        try:
            await channel.answer()
        except AgiHangup as exc:
            raised.append(exc)
        assert channel.hung_up

    async with running_server({"route": handler}) as server:
        fake = await FakeAsterisk.connect(server.port)
        await fake.expect(
            b"ANSWER", b"511 Command Not Permitted on a dead channel or intercept routine"
        )
        await fake.expect_closed()
        await fake.close()
    assert len(raised) == 1


async def test_multi_line_520_is_a_command_error_and_the_next_reply_stays_in_step() -> None:
    seen: list[object] = []

    async def handler(channel: AgiChannel) -> None:
        with pytest.raises(AgiCommandError) as usage:
            await channel.send("SAY NUMBER", "12")
        seen.append(usage.value.reply.raw)
        with pytest.raises(AgiCommandError) as unknown:
            await channel.send("NO SUCH COMMAND")
        seen.append(unknown.value.reply.code)
        seen.append(await channel.get_variable("NEXT"))

    async with running_server({"route": handler}) as server:
        fake = await FakeAsterisk.connect(server.port)
        await fake.expect(b'SAY NUMBER "12"', *USAGE_520)
        await fake.expect(b"NO SUCH COMMAND", b"510 Invalid or unknown command")
        await fake.expect(b'GET VARIABLE "NEXT"', b"200 result=1 (own reply)")
        await fake.expect_closed()
        await fake.close()
    assert seen == [b"\n".join(USAGE_520).decode(), 510, "own reply"]


async def test_non_utf8_caller_name_is_replaced_and_the_handler_still_runs() -> None:
    names: list[str] = []

    async def handler(channel: AgiChannel) -> None:
        names.append(channel.env.calleridname)
        await channel.answer()

    async with running_server({"route": handler}) as server:
        fake = await FakeAsterisk.connect(server.port, calleridname=b"\xff\xfe\xd8\xb9\xd9\x84")
        await fake.expect(b"ANSWER", b"200 result=0")
        await fake.expect_closed()
        await fake.close()
    assert names == ["\ufffd\ufffd\u0639\u0644"]


async def test_caller_id_metacharacters_reach_the_wire_quoted_and_escaped() -> None:
    async def handler(channel: AgiChannel) -> None:
        await channel.set_variable("SAMAD_CALLER_NAME", channel.env.calleridname)

    hostile = b"x\" \\\" ; ${SHELL(id)} 'q' \\"
    async with running_server({"route": handler}) as server:
        fake = await FakeAsterisk.connect(server.port, calleridname=hostile)
        await fake.expect(
            b'SET VARIABLE "SAMAD_CALLER_NAME" "x\\" \\\\\\" ; ${SHELL(id)} \'q\' \\\\"',
            b"200 result=1",
        )
        await fake.expect_closed()
        await fake.close()


async def test_newline_in_a_value_raises_to_the_handler_and_nothing_is_written() -> None:
    raised: list[BaseException] = []

    async def handler(channel: AgiChannel) -> None:
        try:
            await channel.set_variable("X", "line1\nHANGUP")
        except AgiArgumentError as exc:
            raised.append(exc)
        await channel.verbose("still in step")

    async with running_server({"route": handler}) as server:
        fake = await FakeAsterisk.connect(server.port)
        # The very next bytes on the wire are the following command.
        await fake.expect(b'VERBOSE "still in step" "1"', b"200 result=1")
        await fake.expect_closed()
        await fake.close()
    assert len(raised) == 1


async def test_unknown_route_sets_unknown_route_and_closes() -> None:
    async with running_server({"route": _never_called}) as server:
        fake = await FakeAsterisk.connect(server.port, script="nowhere?x=1")
        await fake.expect(b'SET VARIABLE "SAMAD_AGI_ERROR" "unknown-route"', b"200 result=1")
        await fake.expect_closed()
        await fake.close()


async def test_every_log_line_of_a_call_carries_its_uniqueid(
    caplog: pytest.LogCaptureFixture,
) -> None:
    handler_log = logging.getLogger("samad_ivr.agi.handlers.test")

    async def handler(channel: AgiChannel) -> None:
        handler_log.info("deciding")

    caplog.handler.addFilter(CallIdFilter())
    caplog.set_level(logging.INFO)
    async with running_server({"route": handler}) as server:
        fake = await FakeAsterisk.connect(server.port, uniqueid="1700000123.42")
        await fake.expect_closed()
        await fake.close()
        logging.getLogger("samad_ivr.test").info("outside any call")
    by_message = {r.getMessage(): getattr(r, "call_id", None) for r in caplog.records}
    assert by_message["deciding"] == "1700000123.42"
    assert by_message["AGI route route started"] == "1700000123.42"
    assert by_message["outside any call"] == "-"
    assert not any("09121234567" in r.getMessage() for r in caplog.records)


async def _never_called(channel: AgiChannel) -> None:
    raise AssertionError("handler must not run")


async def test_plain_variables_travel_in_one_mset_and_others_one_quoted_command_each() -> None:
    async def handler(channel: AgiChannel) -> None:
        await channel.set_variables({"__SAMAD_DESK": "PJSIP/desk-1", "SAMAD_ROUTE": "desk"})
        # A comma would split MSet's arguments: the safe path takes over.
        await channel.set_variables({"SAMAD_A": "x", "SAMAD_B": 'a,b "c"'})

    async with running_server({"menu": handler}) as server:
        fake = await FakeAsterisk.connect(server.port, script="menu")
        await fake.expect(
            b'EXEC "MSet" "__SAMAD_DESK=PJSIP/desk-1,SAMAD_ROUTE=desk"', b"200 result=0"
        )
        await fake.expect(b'SET VARIABLE "SAMAD_A" "x"', b"200 result=1")
        await fake.expect(b'SET VARIABLE "SAMAD_B" "a,b \\"c\\""', b"200 result=1")
        await fake.expect_closed()
        await fake.close()
