"""A typed, timeout-bounded AGI channel over one FastAGI connection.

Error choices, in one place:

* End of stream (or a reset) at any point is :class:`AgiHangup`: Asterisk closes the
  socket when the channel's AGI ends, so for a handler it is the same event as a hangup.
* An unsolicited ``HANGUP`` line is consumed wherever a reply is expected; the pending
  reply (if any) is still read so the stream stays in step, then the command raises
  :class:`AgiHangup`. Every later command raises :class:`AgiHangup` without writing.
* After a timeout, a protocol error or a cancellation mid-command, a late reply could be
  taken for the next command's reply, so the channel refuses further commands with
  :class:`AgiProtocolError` (only the server's best-effort error report still writes).
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Mapping

from samad_ivr.agi.connection import AgiConnection, BufferOverrun, ConnectionClosed
from samad_ivr.agi.protocol import (
    DTMF_CHARS,
    HANGUP_LINE,
    MAX_REPLY_LINES,
    AgiArgumentError,
    AgiCommandError,
    AgiEnvironment,
    AgiError,
    AgiHangup,
    AgiProtocolError,
    AgiReply,
    AgiTimeout,
    build_command,
    decode_line,
    ends_multiline,
    is_multiline_start,
    parse_environment,
    parse_reply,
)

__all__ = [
    "AgiArgumentError",
    "AgiChannel",
    "AgiCommandError",
    "AgiError",
    "AgiHangup",
    "AgiProtocolError",
    "AgiTimeout",
    "read_environment",
]

logger = logging.getLogger(__name__)


async def read_environment(connection: AgiConnection) -> AgiEnvironment:
    """Read the header block up to its blank line. The caller sets the deadline.

    One read for the whole block (Asterisk ends every line with a bare LF): line by line
    cost a tenth of the server's time per session.  The connection's limit caps the
    block; parse_environment checks the line count and lengths.
    """
    try:
        block = await connection.read_until(b"\n\n")
    except ConnectionClosed:
        raise AgiHangup("connection closed inside the AGI header") from None
    except BufferOverrun:
        raise AgiProtocolError("AGI header block too long") from None
    return parse_environment(block[:-1])


# What may travel through MSet unquoted (see AgiChannel.set_variables).
_MSET_NAME = re.compile(r"_{0,2}[A-Z][A-Z0-9_]{0,63}")
_MSET_VALUE = re.compile(r"[A-Za-z0-9_./@&:+-]{0,512}")


class AgiChannel:
    """Typed AGI commands; one in flight at a time, each bounded by ``command_timeout``."""

    def __init__(
        self, connection: AgiConnection, env: AgiEnvironment, *, command_timeout: float
    ) -> None:
        self._connection = connection
        self._env = env
        self._command_timeout = command_timeout
        self._lock = asyncio.Lock()
        self._hung_up = False
        self._unusable: str | None = None

    @property
    def env(self) -> AgiEnvironment:
        return self._env

    @property
    def hung_up(self) -> bool:
        return self._hung_up

    async def send(self, verb: str, *args: str) -> AgiReply:
        """Send one command and return its 200 reply.

        Raises AgiHangup (HANGUP seen, 511, EOF), AgiCommandError (510/520),
        AgiTimeout, AgiProtocolError, or AgiArgumentError before anything is written.
        """
        command = build_command(verb, *args)
        return await self._transact(verb, command, self._command_timeout, force=False)

    async def answer(self) -> None:
        reply = await self.send("ANSWER")
        self._raise_if_minus_one(reply, "ANSWER")

    async def stream_file(self, name: str, escape_digits: str = "") -> str | None:
        """Play a prompt; returns the DTMF digit that interrupted it, or None."""
        _check_dtmf(escape_digits)
        reply = await self.send("STREAM FILE", name, escape_digits)
        self._raise_if_minus_one(reply, "STREAM FILE")
        if reply.result == 0:
            return None
        digit = chr(reply.result) if 0 < reply.result < 128 else ""
        if digit not in DTMF_CHARS:
            self._unusable = "STREAM FILE returned a non-DTMF result"
            raise AgiProtocolError(f"STREAM FILE returned non-DTMF result {reply.result}")
        return digit

    async def get_data(self, prompt: str, timeout_ms: int, max_digits: int) -> str:
        """Play a prompt and collect up to ``max_digits`` digits; "" when none (or garbage)."""
        if timeout_ms < 0 or not 0 < max_digits <= 1024:
            raise AgiArgumentError("GET DATA needs timeout_ms >= 0 and 1 <= max_digits <= 1024")
        reply = await self.send("GET DATA", prompt, str(timeout_ms), str(max_digits))
        # Asterisk puts the digits themselves in the result token (with leading zeros, * and #).
        self._raise_if_minus_one(reply, "GET DATA")
        digits = reply.result_text
        if not all(char in DTMF_CHARS for char in digits):
            logger.warning("GET DATA reply held non-DTMF characters; treated as no input")
            return ""
        return digits

    async def get_variable(self, name: str) -> str | None:
        reply = await self.send("GET VARIABLE", name)
        return (reply.data or "") if reply.result == 1 else None

    async def get_full_variable(self, expression: str) -> str | None:
        """Evaluate a dialplan expression such as ``${CHANNEL(linkedid)}``."""
        reply = await self.send("GET FULL VARIABLE", expression)
        return (reply.data or "") if reply.result == 1 else None

    async def set_variable(self, name: str, value: str) -> None:
        await self.send("SET VARIABLE", name, value)

    async def set_variables(self, values: Mapping[str, str]) -> None:
        """Set several variables in one round trip (MSet) when every value is plain.

        MSet splits on commas and strips quotes, so it only carries names and values
        made of a safe alphabet (our own endpoints, ids and prompt names); anything
        else goes through SET VARIABLE, one quoted command each.
        """
        if not values:
            return
        if all(_MSET_NAME.fullmatch(k) and _MSET_VALUE.fullmatch(v) for k, v in values.items()):
            joined = ",".join(f"{name}={value}" for name, value in values.items())
            await self.send("EXEC", "MSet", joined)
            return
        for name, value in values.items():
            await self.set_variable(name, value)

    async def verbose(self, message: str, level: int = 1) -> None:
        if not 1 <= level <= 4:
            raise AgiArgumentError("VERBOSE level must be between 1 and 4")
        await self.send("VERBOSE", message, str(level))

    async def exec_app(self, app: str, options: str) -> int:
        """Run a dialplan application; returns its result (-2 when the app is unknown)."""
        reply = await self.send("EXEC", app, options)
        return reply.result

    async def hangup(self) -> None:
        await self.send("HANGUP")
        # Our own hangup ends the dialog as surely as the caller's does.
        self._hung_up = True

    async def try_set_variable(self, name: str, value: str, time_limit: float) -> bool:
        """Best effort for the per-call error boundary; never raises an AgiError.

        Writes even on a channel made unusable by a timeout: the stream is closed right
        after, so a mismatched reply cannot hurt, and the dialplan still gets the value.
        """
        if self._hung_up:
            return False
        try:
            command = build_command("SET VARIABLE", name, value)
            async with asyncio.timeout(time_limit):
                await self._transact("SET VARIABLE", command, time_limit, force=True)
        except (AgiError, TimeoutError):
            return False
        return True

    def _raise_if_minus_one(self, reply: AgiReply, verb: str) -> None:
        if reply.result_text == "-1":
            self._hung_up = True
            raise AgiHangup(f"{verb} returned -1: channel hung up")

    async def _transact(
        self, verb: str, command: bytes, time_limit: float, *, force: bool
    ) -> AgiReply:
        async with self._lock:
            if self._hung_up:
                raise AgiHangup(f"{verb} not sent: channel already hung up")
            if self._unusable is not None and not force:
                raise AgiProtocolError(f"{verb} not sent: channel unusable ({self._unusable})")
            done = False
            connection = self._connection
            # Bounds every wait of this command: the drain and each line of the reply.
            connection.set_deadline(time_limit)
            try:
                connection.write(command)
                await connection.drain()
                lines = await self._read_reply_lines()
                reply = parse_reply(lines)
                done = True
            except TimeoutError:
                if self._hung_up:
                    raise AgiHangup(f"{verb}: channel hung up, no reply followed") from None
                raise AgiTimeout(f"{verb}: no reply within {time_limit:g}s") from None
            except ConnectionClosed:
                self._hung_up = True
                raise AgiHangup(f"{verb}: connection lost") from None
            finally:
                if not done and self._unusable is None:
                    self._unusable = f"{verb} did not complete"
        if self._hung_up:
            raise AgiHangup(f"{verb}: channel hung up")
        if reply.code == 511:
            self._hung_up = True
            raise AgiHangup(f"{verb}: command not permitted on a dead channel")
        if reply.code != 200:
            raise AgiCommandError(reply)
        return reply

    async def _read_reply_lines(self) -> list[str]:
        first = await self._read_line()
        while first.strip() == HANGUP_LINE:
            logger.info("AGI peer reported HANGUP")
            self._hung_up = True
            first = await self._read_line()
        lines = [first]
        if is_multiline_start(first):
            while len(lines) == 1 or not ends_multiline(first, lines[-1]):
                if len(lines) >= MAX_REPLY_LINES:
                    raise AgiProtocolError("multi-line AGI reply does not end")
                lines.append(await self._read_line())
        return lines

    async def _read_line(self) -> str:
        try:
            line = await self._connection.read_until(b"\n")
        except ConnectionClosed:
            self._hung_up = True
            raise AgiHangup("AGI connection closed by peer") from None
        except BufferOverrun:
            raise AgiProtocolError("AGI reply line too long") from None
        return decode_line(line)


def _check_dtmf(digits: str) -> None:
    if not all(char in DTMF_CHARS for char in digits):
        raise AgiArgumentError("escape digits must be DTMF characters (0-9*#ABCD)")
