"""Pure FastAGI wire format: the header block, replies, and safely quoted commands.

Nothing here does I/O, so every rule about bytes on the wire is testable on its own.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType

# Asterisk's own header lines are short; these bounds stop a confused or hostile peer
# from making us buffer without limit before a handler even runs.
MAX_HEADER_LINE_BYTES = 8 * 1024
MAX_HEADER_LINES = 200
# A 520 usage text is a few dozen lines; a reply that never ends is garbage, not usage.
MAX_REPLY_LINES = 200

DTMF_CHARS = frozenset("0123456789*#ABCD")
HANGUP_LINE = "HANGUP"

# A header line is `agi_<key>: <value>`; the value loses one leading space and any CRs
# before the LF.  The whole block is checked at once, then split.
_HEADER_BLOCK = re.compile(r"(?:agi_[a-z0-9_]{1,64}:[^\n]*\n)*", re.ASCII)
_CR_BEFORE_LF = re.compile(r"\r+\n")
_ROUTE_END = re.compile(r"[?/]")
_SINGLE = re.compile(r"([0-9]{3})(?: (.*))?", re.ASCII | re.DOTALL)
_FIRST_OF_MANY = re.compile(r"([0-9]{3})-(.*)", re.ASCII | re.DOTALL)
_RESULT = re.compile(r"result=(\S*)(.*)", re.ASCII | re.DOTALL)
# Bounded so int() never meets Python's huge-integer conversion limit.
_INTEGER = re.compile(r"-?[0-9]{1,18}", re.ASCII)
_ENDPOS = re.compile(r"(.*?)\s*endpos=-?[0-9]{1,20}\s*", re.ASCII | re.DOTALL)
# The shape of most 200 replies; anything else takes the general path (same result).
_COMMON_SUCCESS = re.compile(
    r"200 result=(-?[0-9]{1,18})(?: \(([^()]*)\))?(?: endpos=-?[0-9]{1,20})?", re.ASCII
)
_VERB = re.compile(r"[A-Z]+(?: [A-Z]+)*", re.ASCII)
# Control characters and lone surrogates: what quote_arg refuses.
_UNSENDABLE = re.compile(r"[\x00-\x1f\x7f\ud800-\udfff]")
_KNOWN_CODES = frozenset({200, 510, 511, 520})


class AgiError(Exception):
    """Base of every error raised by the FastAGI layer."""


class AgiProtocolError(AgiError):
    """The peer sent something that is not FastAGI; the stream cannot be trusted."""


class AgiArgumentError(AgiError, ValueError):
    """A command argument cannot be sent safely (e.g. it contains a control character)."""


class AgiHangup(AgiError):
    """The channel hung up (HANGUP line, 511 reply, result=-1, or the socket closed)."""


class AgiTimeout(AgiError):
    """A reply did not arrive within the command timeout."""


class AgiCommandError(AgiError):
    """Asterisk rejected a command (510 unknown command, 520 usage)."""

    def __init__(self, reply: AgiReply) -> None:
        super().__init__(reply.raw)
        self.reply = reply


@dataclass(frozen=True, slots=True)
class AgiEnvironment:
    """The ``agi_*`` header Asterisk sends at the start of a FastAGI session.

    Caller-identifying fields stay out of ``repr`` so an environment in a log line or
    traceback never leaks a phone number.
    """

    network_script: str
    args: tuple[str, ...]
    uniqueid: str
    channel: str = field(repr=False)
    callerid: str = field(repr=False)
    calleridname: str = field(repr=False)
    language: str
    context: str
    extension: str
    priority: int
    raw: Mapping[str, str] = field(repr=False, compare=False)


@dataclass(frozen=True, slots=True)
class AgiReply:
    """One reply. ``result_text`` is the literal token after ``result=``.

    GET DATA puts the digits themselves in that token (``result=0012*``, or empty on a
    timeout with no input), which ``result: int`` cannot represent; ``result`` is 0
    whenever the token is not an integer. For 510/511/520, ``result`` is 0 and ``data``
    holds the message text.
    """

    code: int
    result: int
    data: str | None
    raw: str
    result_text: str = ""


def decode_line(line: bytes) -> str:
    """Bytes of one wire line to text; never raises on undecodable caller data."""
    return line.rstrip(b"\r\n").decode("utf-8", errors="replace")


def parse_environment(block: bytes) -> AgiEnvironment:
    """Parse the header block: its lines, each ending in LF, without the final blank line.

    The whole block is decoded and checked by one regular expression each, not line by
    line: the header is parsed once per call, and per-line work was a tenth of a
    session's CPU (docs/performance.md, F1).
    """
    if block and not block.endswith(b"\n"):
        block += b"\n"
    if block.count(b"\n") > MAX_HEADER_LINES:
        raise AgiProtocolError(f"AGI header has more than {MAX_HEADER_LINES} lines")
    if len(block) > MAX_HEADER_LINE_BYTES and any(
        len(line.rstrip(b"\r")) > MAX_HEADER_LINE_BYTES for line in block.split(b"\n")
    ):
        raise AgiProtocolError(f"AGI header line longer than {MAX_HEADER_LINE_BYTES} bytes")
    text = block.decode("utf-8", errors="replace")
    if _HEADER_BLOCK.fullmatch(text) is None:
        raise AgiProtocolError("malformed AGI header line")
    if "\r" in text:
        text = _CR_BEFORE_LF.sub("\n", text)
    # Every line is `agi_<key>:<value>\n` now, so the split cannot go wrong.
    pairs = [line.partition(":") for line in text.split("\n")[:-1]]
    raw = {key: value.removeprefix(" ") for key, _, value in pairs}
    if len(raw) != len(pairs):
        keys = [key for key, _, _ in pairs]
        duplicate = next(key for key in keys if keys.count(key) > 1)
        raise AgiProtocolError(f"duplicate AGI header {duplicate}")
    return _environment_from(raw)


def _environment_from(raw: dict[str, str]) -> AgiEnvironment:
    script = raw.get("agi_network_script", "")
    args: list[str] = []
    while (arg := raw.get(f"agi_arg_{len(args) + 1}")) is not None:
        args.append(arg)
    priority_text = raw.get("agi_priority", "")
    return AgiEnvironment(
        network_script=_ROUTE_END.split(script, maxsplit=1)[0],
        args=tuple(args),
        uniqueid=raw.get("agi_uniqueid", ""),
        channel=raw.get("agi_channel", ""),
        callerid=raw.get("agi_callerid", ""),
        calleridname=raw.get("agi_calleridname", ""),
        language=raw.get("agi_language", ""),
        context=raw.get("agi_context", ""),
        extension=raw.get("agi_extension", ""),
        priority=int(priority_text) if _INTEGER.fullmatch(priority_text) else 0,
        raw=MappingProxyType(raw),
    )


def is_multiline_start(line: str) -> bool:
    """True for the first line of a ``NNN-...`` reply that continues until ``NNN ...``."""
    return _FIRST_OF_MANY.fullmatch(line) is not None


def ends_multiline(first: str, line: str) -> bool:
    """True when ``line`` is the closing line of the reply that began with ``first``."""
    return line[:3] == first[:3] and (len(line) == 3 or line[3:4] == " ")


def parse_reply(lines: Sequence[str]) -> AgiReply:
    """Parse one complete reply (one line, or every line of a multi-line reply).

    Raises only :class:`AgiProtocolError`, whatever the input.
    """
    if len(lines) == 1 and (common := _COMMON_SUCCESS.fullmatch(lines[0])) is not None:
        # Most replies are `200 result=<int>`, perhaps with a plain `(data)` and `endpos=`.
        token = common.group(1)
        return AgiReply(200, int(token), common.group(2), lines[0], token)
    return _parse_any(lines)


def _parse_any(lines: Sequence[str]) -> AgiReply:
    if not lines:
        raise AgiProtocolError("empty AGI reply")
    raw = "\n".join(lines)
    if len(lines) > 1:
        return _parse_multiline(lines, raw)
    match = _SINGLE.fullmatch(lines[0])
    if match is None:
        # The line may echo a variable holding caller data: report its size, not its text.
        raise AgiProtocolError(f"unparseable AGI reply ({len(lines[0])} chars)")
    code, rest = int(match.group(1)), match.group(2) or ""
    if code not in _KNOWN_CODES:
        raise AgiProtocolError(f"unknown AGI reply code {code}")
    if code != 200:
        return AgiReply(code=code, result=0, data=rest, raw=raw)
    return _parse_success(rest, raw)


def _parse_multiline(lines: Sequence[str], raw: str) -> AgiReply:
    first, last = lines[0], lines[-1]
    if len(lines) > MAX_REPLY_LINES:
        raise AgiProtocolError("AGI reply has too many lines")
    if not is_multiline_start(first) or not ends_multiline(first, last):
        raise AgiProtocolError("malformed multi-line AGI reply")
    code = int(first[:3])
    if code not in _KNOWN_CODES or code == 200:
        raise AgiProtocolError(f"unexpected multi-line AGI reply code {code}")
    return AgiReply(code=code, result=0, data="\n".join([first[4:], *lines[1:]]), raw=raw)


def _parse_success(rest: str, raw: str) -> AgiReply:
    match = _RESULT.fullmatch(rest)
    if match is None:
        raise AgiProtocolError(f"AGI 200 reply without result= ({len(raw)} chars)")
    token, tail = match.group(1), match.group(2)
    if (endpos := _ENDPOS.fullmatch(tail)) is not None:
        tail = endpos.group(1)
    tail = tail.strip()
    # Unparenthesised text ("200 result=-1 Gosub label not found") is kept, not refused.
    data = tail[1:-1] if tail.startswith("(") and tail.endswith(")") else tail or None
    result = int(token) if _INTEGER.fullmatch(token) else 0
    return AgiReply(code=200, result=result, data=data, raw=raw, result_text=token)


def quote_arg(value: str) -> str:
    """Double-quote one AGI argument, escaping ``\\`` and ``"``.

    Control characters are rejected rather than escaped: Asterisk reads one command per
    line, so a newline would let caller data start a command of its own.
    """
    if (bad := _UNSENDABLE.search(value)) is not None:
        code = ord(bad.group())
        if code >= 0xD800:
            # A lone surrogate cannot be encoded as UTF-8 for the wire.
            raise AgiArgumentError("unpaired surrogate in AGI argument")
        raise AgiArgumentError(f"control character U+{code:04X} in AGI argument")
    if "\\" in value or '"' in value:
        value = value.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{value}"'


def build_command(verb: str, *args: str) -> bytes:
    """Encode one command line; every argument is quoted, the verb must be a constant."""
    parts = [_checked_verb(verb), *map(quote_arg, args)]
    return (" ".join(parts) + "\n").encode("utf-8")


@functools.lru_cache(maxsize=64)
def _checked_verb(verb: str) -> str:
    # Verbs are constants in our code, so a small cache holds all of them.
    if not _VERB.fullmatch(verb):
        raise AgiArgumentError(f"invalid AGI verb {verb!r}")
    return verb
