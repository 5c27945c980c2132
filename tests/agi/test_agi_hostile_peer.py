"""A property-based hostile Asterisk against the real FastAGI server (issue 15).

Hypothesis writes the peer's part: a header block (well formed, or broken in one of many
ways, with caller data full of quotes, backslashes and control characters) and, for each
command the server sends, a reaction: the right reply, garbage, 510/511/520, a HANGUP
line, silence, or the end of the connection.  Whatever it does:

* every line the server writes is one command whose arguments are all double-quoted with
  `"` and `\\` escaped: caller data never leaves unquoted;
* the server never desynchronises: a value it echoes is the one the peer sent in the
  reply to *that* command, never a stale line or a HANGUP taken for a reply;
* when the peers are gone no session, task or socket is left.
"""

from __future__ import annotations

import asyncio
import re
from contextlib import suppress
from dataclasses import dataclass, field

from hypothesis import given, settings
from hypothesis import strategies as st

from samad_ivr.agi.channel import AgiChannel
from samad_ivr.agi.server import FastAgiServer

from .fake_asterisk import header_lines, open_fd_count

COMMAND_LINE = re.compile(r'[A-Z]+(?: [A-Z]+)*(?: "(?:[^"\\\n]|\\.)*")*')
QUOTED = re.compile(r'"((?:[^"\\]|\\.)*)"')
PROBES = 3
IO_TIMEOUT = 3.0

# Mostly cooperative, so that many sessions get deep into the dialog before it goes wrong.
REACTIONS = ("ok",) * 16 + ("garbage", "510", "511", "520", "hangup", "silence", "late", "eof")


async def probing_handler(channel: AgiChannel) -> None:
    """Like a real route: answers, reads variables, echoes them, sets caller data."""
    await channel.answer()
    await channel.set_variable("SAMAD_CALLER_NAME", channel.env.calleridname)
    for number in range(PROBES):
        value = await channel.get_variable(f"PROBE_{number}")
        await channel.set_variable(f"ECHO_{number}", value or "-")
    digits = await channel.get_data("fa/enter-code", 500, 4)
    await channel.set_variable("SAMAD_DIGITS", digits or "-")


def unquote(argument: str) -> str:
    return re.sub(r"\\(.)", r"\1", argument)


@dataclass
class PeerLog:
    commands: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class PeerScript:
    header: bytes
    caller_name: str | None  # as the server should see it, when the header is well formed
    reactions: tuple[str, ...]
    garbage: tuple[str, ...]


def _reply(reaction: str, command: str, token: str, junk: str) -> bytes:
    if reaction == "ok":
        if command.startswith("GET VARIABLE"):
            return f"200 result=1 ({token})\n".encode()
        if command.startswith("GET DATA"):
            return b"200 result=12\n"
        return b"200 result=1\n"
    if reaction == "garbage":
        return junk.encode("utf-8", "replace") + b"\n"
    if reaction == "510":
        return b"510 Invalid or unknown command\n"
    if reaction == "511":
        return b"511 Command Not Permitted on a dead channel or intercept routine\n"
    if reaction == "520":
        return b"520-Invalid command syntax.\n Usage: x\n520 End of proper usage.\n"
    if reaction == "hangup":
        return b"HANGUP\n200 result=-1\n"
    raise AssertionError(reaction)


async def play_peer(port: int, script: PeerScript, session: int, log: PeerLog) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    expected_echo: dict[int, str] = {}
    try:
        writer.write(script.header)
        await writer.drain()
        for turn in range(64):
            async with asyncio.timeout(IO_TIMEOUT):
                raw = await reader.readline()
            if not raw:
                return  # the server closed: fine at any point
            if not raw.endswith(b"\n"):
                log.problems.append(f"partial line {raw!r}")
                return
            command = raw[:-1].decode("utf-8")
            log.commands.append(command)
            if COMMAND_LINE.fullmatch(command) is None:
                log.problems.append(f"not a quoted command: {command!r}")
            _check_echo(command, expected_echo, script, log)
            reaction = script.reactions[turn % len(script.reactions)]
            if reaction == "silence":
                continue  # the command times out on the server side
            if reaction == "eof":
                return
            late = reaction == "late"
            if late:
                # The right reply, after the server gave up waiting: it must not be taken
                # for the reply to whatever the server sends next.
                await asyncio.sleep(0.4)
                reaction = "ok"
            token = f"s{session}t{turn}"
            match = re.fullmatch(r'GET VARIABLE "PROBE_(\d)"', command)
            if match and reaction == "ok" and not late:
                expected_echo[int(match.group(1))] = token
            writer.write(
                _reply(reaction, command, token, script.garbage[turn % len(script.garbage)])
            )
            await writer.drain()
    except (ConnectionError, TimeoutError):
        return
    finally:
        writer.close()
        with suppress(ConnectionError):
            await writer.wait_closed()


def _check_echo(command: str, echoes: dict[int, str], script: PeerScript, log: PeerLog) -> None:
    args = [unquote(a) for a in QUOTED.findall(command)]
    if command.startswith('SET VARIABLE "ECHO_'):
        number = int(args[0].removeprefix("ECHO_"))
        if echoes.get(number) != args[1]:
            log.problems.append(
                f"desync: echoed {args[1]!r}, the reply said {echoes.get(number)!r}"
            )
    if command.startswith('SET VARIABLE "SAMAD_CALLER_NAME"') and args[1] != script.caller_name:
        log.problems.append(f"caller name changed on the way: {args[1]!r}")


caller_names = st.one_of(
    # Printable but hostile: quotes, backslashes, shell and dialplan syntax, Persian.
    st.tuples(
        *[st.text(alphabet=st.sampled_from("\"\\'$;|&`{}()[], =aZ9علی"), max_size=12)] * 2
    ).map(lambda parts: parts[0] + '"\\' + parts[1]),
    # Anything Asterisk could pass on, control characters included (refused, not sent).
    st.text(alphabet=st.characters(codec="utf-8", exclude_characters="\n\r"), max_size=30),
)


@st.composite
def peer_scripts(draw: st.DrawFn, uniqueid: str) -> PeerScript:
    name = draw(caller_names)
    lines = header_lines(script="probe", uniqueid=uniqueid, calleridname=name.encode("utf-8"))
    breakage = draw(
        st.sampled_from(["none", "none", "none", "crlf", "no-end", "junk-line", "truncate", "dup"])
    )
    caller_name: str | None = name
    if breakage == "crlf":
        lines = [line[:-1] + b"\r\n" for line in lines]
    elif breakage == "junk-line":
        lines.insert(draw(st.integers(0, len(lines))), draw(st.binary(max_size=30)) + b"\n")
        caller_name = None
    elif breakage == "dup":
        lines.append(lines[0])
        caller_name = None
    header = b"".join(lines) + (b"" if breakage == "no-end" else b"\n")
    if breakage == "truncate":
        header = header[: draw(st.integers(0, len(header) - 1))]
        caller_name = None
    if breakage == "no-end":
        caller_name = None
    reactions = tuple(draw(st.lists(st.sampled_from(REACTIONS), min_size=1, max_size=12)))
    garbage = tuple(
        draw(st.lists(st.text(max_size=40).filter(lambda t: "\n" not in t), min_size=1, max_size=3))
    )
    return PeerScript(header, caller_name, reactions, garbage)


async def run_peers(scripts: list[PeerScript]) -> PeerLog:
    server = FastAgiServer({"probe": probing_handler}, command_timeout=0.3, header_timeout=0.3)
    await server.start("127.0.0.1", 0)
    fds, tasks = open_fd_count(), len(asyncio.all_tasks())
    log = PeerLog()
    try:
        async with asyncio.timeout(20):
            await asyncio.gather(
                *(play_peer(server.port, s, n, log) for n, s in enumerate(scripts))
            )
            # Sessions end on their own (replies, timeouts, EOF); nothing may be left.
            while server.active_sessions or len(asyncio.all_tasks()) > tasks:  # noqa: ASYNC110
                await asyncio.sleep(0.01)
            while open_fd_count() > fds:  # noqa: ASYNC110
                await asyncio.sleep(0.01)
    except TimeoutError:
        log.problems.append(
            f"left behind: {server.active_sessions} sessions, "
            f"{len(asyncio.all_tasks()) - tasks} tasks, {open_fd_count() - fds} fds"
        )
    finally:
        await server.close(timeout=1.0)
    return log


@settings(max_examples=60, derandomize=True, deadline=None, database=None)
@given(st.lists(st.integers(1, 10**6), min_size=1, max_size=3, unique=True).flatmap(
    lambda ids: st.tuples(*(peer_scripts(f"1700000000.{i}") for i in ids))
))  # fmt: skip
def test_a_hostile_peer_never_desynchronises_leaks_or_gets_unquoted_caller_data(
    scripts: tuple[PeerScript, ...],
) -> None:
    log = asyncio.run(run_peers(list(scripts)))
    assert log.problems == []


def test_the_hostile_peer_does_reach_every_command() -> None:
    """The property above is not vacuous: a cooperative peer sees the whole dialog."""
    name = 'Ali "the \\ boss" $(rm)'
    lines = header_lines(script="probe", uniqueid="1.1", calleridname=name.encode())
    script = PeerScript(b"".join(lines) + b"\n", name, ("ok",), ("x",))
    log = asyncio.run(run_peers([script]))
    assert log.problems == []
    assert log.commands[0] == "ANSWER"
    assert log.commands[1] == 'SET VARIABLE "SAMAD_CALLER_NAME" "Ali \\"the \\\\ boss\\" $(rm)"'
    assert log.commands[2:4] == ['GET VARIABLE "PROBE_0"', 'SET VARIABLE "ECHO_0" "s0t2"']
    assert log.commands[-1] == 'SET VARIABLE "SAMAD_DIGITS" "12"'
