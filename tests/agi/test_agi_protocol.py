from __future__ import annotations

import contextlib
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from samad_ivr.agi.protocol import (
    MAX_HEADER_LINE_BYTES,
    MAX_HEADER_LINES,
    AgiArgumentError,
    AgiProtocolError,
    AgiReply,
    _parse_any,
    build_command,
    decode_line,
    parse_environment,
    parse_reply,
    quote_arg,
)

from .fake_asterisk import header_block, header_lines


def _asterisk_unquote(argument: str) -> str:
    """What res_agi's parse_args makes of one quoted argument: \\x is x, quotes toggle."""
    out: list[str] = []
    escaped = False
    for char in argument:
        if escaped:
            out.append(char)
            escaped = False
        elif char == "\\":
            escaped = True
        elif char != '"':
            out.append(char)
    return "".join(out)


def test_asterisk_header_parses_into_typed_fields() -> None:
    lines = header_lines(script="menu?lang=fa", args=("first", "", "third"))
    env = parse_environment(b"".join(lines))
    assert env.network_script == "menu"
    assert env.args == ("first", "", "third")
    assert env.uniqueid == "1700000000.1"
    assert env.channel == "PJSIP/trunk-00000001"
    assert (env.callerid, env.calleridname) == ("09121234567", "Ali")
    assert (env.language, env.context, env.extension, env.priority) == (
        "fa",
        "samad-inbound",
        "111",
        2,
    )
    assert env.raw["agi_accountcode"] == ""
    assert env.raw["agi_request"] == "agi://127.0.0.1/menu?lang=fa"


def test_environment_repr_does_not_show_the_caller_number() -> None:
    env = parse_environment(header_block()[:-1])
    assert "09121234567" not in repr(env)
    assert "Ali" not in repr(env)


@pytest.mark.parametrize(
    ("script", "route"),
    [("menu", "menu"), ("menu?x=1", "menu"), ("menu/sub?x", "menu"), ("", "")],
)
def test_route_is_the_script_up_to_query_or_slash(script: str, route: str) -> None:
    assert parse_environment(header_block(script=script)[:-1]).network_script == route


def test_argument_numbering_stops_at_the_first_gap() -> None:
    lines = header_lines(overrides={"agi_arg_1": b"a", "agi_arg_3": b"c"})
    assert parse_environment(b"".join(lines)).args == ("a",)


def test_undecodable_caller_name_is_replaced_not_fatal() -> None:
    env = parse_environment(header_block(calleridname=b"\xff\xfeAli")[:-1])
    assert env.calleridname == "\ufffd\ufffdAli"


def test_header_line_over_8_kib_is_a_protocol_error() -> None:
    lines = header_lines(calleridname=b"x" * MAX_HEADER_LINE_BYTES)
    with pytest.raises(AgiProtocolError):
        parse_environment(b"".join(lines))


def test_header_with_more_than_200_lines_is_a_protocol_error() -> None:
    lines = [f"agi_x{i}: y\n".encode() for i in range(MAX_HEADER_LINES + 1)]
    with pytest.raises(AgiProtocolError):
        parse_environment(b"".join(lines))


@pytest.mark.parametrize("line", [b"garbage\n", b"agi_x\n", b"AGI_X: y\n", b": y\n"])
def test_malformed_header_line_is_a_protocol_error(line: bytes) -> None:
    with pytest.raises(AgiProtocolError):
        parse_environment(b"".join([*header_lines(), line]))


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("200 result=0", AgiReply(200, 0, None, "200 result=0", "0")),
        ("200 result=1 (fa)", AgiReply(200, 1, "fa", "200 result=1 (fa)", "1")),
        ("200 result=1 (a (b) c)", AgiReply(200, 1, "a (b) c", "200 result=1 (a (b) c)", "1")),
        ("200 result=49 endpos=1234", AgiReply(200, 49, None, "200 result=49 endpos=1234", "49")),
        (
            "200 result=0 (timeout) endpos=7",
            AgiReply(200, 0, "timeout", "200 result=0 (timeout) endpos=7", "0"),
        ),
        (
            "200 result=0012* (timeout)",
            AgiReply(200, 0, "timeout", "200 result=0012* (timeout)", "0012*"),
        ),
        ("200 result= (timeout)", AgiReply(200, 0, "timeout", "200 result= (timeout)", "")),
        ("200 result=-1", AgiReply(200, -1, None, "200 result=-1", "-1")),
        (
            "200 result=-1 Gosub label not found",
            AgiReply(200, -1, "Gosub label not found", "200 result=-1 Gosub label not found", "-1"),
        ),
        (
            "510 Invalid or unknown command",
            AgiReply(510, 0, "Invalid or unknown command", "510 Invalid or unknown command"),
        ),
    ],
)
def test_single_line_replies_parse(line: str, expected: AgiReply) -> None:
    assert parse_reply([line]) == expected


def test_multi_line_520_keeps_the_whole_usage_text() -> None:
    lines = [
        "520-Invalid command syntax.  Proper usage follows:",
        " Usage: SAY NUMBER <number> <escape digits>",
        "520 End of proper usage.",
    ]
    reply = parse_reply(lines)
    assert reply.code == 520
    assert reply.raw == "\n".join(lines)
    assert reply.data is not None
    assert "Usage: SAY NUMBER" in reply.data


@pytest.mark.parametrize(
    "lines",
    [
        [],
        [""],
        ["HANGUP"],
        ["200"],
        ["200 res=1"],
        ["404 Not here"],
        ["2000 result=1"],
        ["200 result=1", "200 result=1"],
        ["520-Invalid", "usage"],
        ["520-Invalid", "510 End"],
        ["200-x", "200 y"],
    ],
)
def test_malformed_replies_are_protocol_errors(lines: list[str]) -> None:
    with pytest.raises(AgiProtocolError):
        parse_reply(lines)


def test_arabic_indic_digits_are_not_taken_for_a_result() -> None:
    assert parse_reply(["200 result=\u0663"]).result == 0


@given(st.lists(st.binary(max_size=200), max_size=5))
def test_reply_parser_raises_only_protocol_errors_on_arbitrary_bytes(
    raw_lines: list[bytes],
) -> None:
    with contextlib.suppress(AgiProtocolError):
        parse_reply([decode_line(line) for line in raw_lines])


@given(st.lists(st.text(max_size=200), max_size=5))
def test_reply_parser_raises_only_protocol_errors_on_arbitrary_text(lines: list[str]) -> None:
    with contextlib.suppress(AgiProtocolError):
        parse_reply(lines)


@given(st.text(alphabet=st.characters(categories=["Zs", "P", "S", "N"]), max_size=20))
def test_reply_parser_survives_near_miss_success_lines(tail: str) -> None:
    for line in (f"200 result={tail}", f"200 result=1 {tail}", f"520-{tail}"):
        with contextlib.suppress(AgiProtocolError):
            parse_reply([line])


@given(st.text())
def test_quoted_argument_has_no_unescaped_quote_or_control_char(value: str) -> None:
    has_control = any(ord(c) < 0x20 or ord(c) == 0x7F or 0xD800 <= ord(c) <= 0xDFFF for c in value)
    if has_control:
        with pytest.raises(AgiArgumentError):
            quote_arg(value)
        return
    quoted = quote_arg(value)
    assert quoted.startswith('"')
    assert quoted.endswith('"')
    assert not any(ord(c) < 0x20 for c in quoted)
    inner = quoted[1:-1]
    backslashes = 0
    for char in inner:
        if char == '"':
            assert backslashes % 2 == 1, "quote not escaped"
        backslashes = backslashes + 1 if char == "\\" else 0
    assert backslashes % 2 == 0, "argument ends in a lone backslash that would eat the quote"
    assert _asterisk_unquote(quoted) == value


@pytest.mark.parametrize("value", ["a\nb", "a\rb", "a\0b", "\x1b[31m", "tab\there"])
def test_control_characters_are_rejected(value: str) -> None:
    with pytest.raises(AgiArgumentError):
        quote_arg(value)


def test_command_quotes_every_argument() -> None:
    assert (
        build_command("SET VARIABLE", "X", 'a "b" \\c') == b'SET VARIABLE "X" "a \\"b\\" \\\\c"\n'
    )
    assert build_command("ANSWER") == b"ANSWER\n"


@pytest.mark.parametrize("verb", ["", "answer", "ANSWER\nHANGUP", "EXEC Dial", "SET  VARIABLE"])
def test_verbs_outside_the_constant_shape_are_rejected(verb: str) -> None:
    with pytest.raises(AgiArgumentError):
        build_command(verb)


_REPLY_PIECES = st.sampled_from(
    [
        "0",
        "1",
        "-1",
        "49",
        "0012*",
        "",
        " ",
        "(",
        ")",
        "(fa)",
        " (timeout)",
        "endpos=7",
        " endpos=-3",
        "  ",
        "\t",
        "x",
        "()",
        "(a (b) c)",
        "\u0663",
        "123456789012345678901",
    ]
)


@settings(max_examples=1000)
@given(st.lists(_REPLY_PIECES, max_size=6))
def test_the_common_reply_shortcut_agrees_with_the_general_parser(pieces: list[str]) -> None:
    # parse_reply takes a one-regex shortcut for the usual 200 replies; it must give
    # exactly what the general path (_parse_any) gives for the same line.
    line = "200 result=" + "".join(pieces)
    try:
        general = _parse_any([line])
    except AgiProtocolError:
        with pytest.raises(AgiProtocolError):
            parse_reply([line])
        return
    assert parse_reply([line]) == general


def _reference_environment(block: bytes) -> dict[str, str]:
    """The header rules, line by line: what parse_environment must agree with."""
    lines = block.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    if len(lines) > MAX_HEADER_LINES:
        raise AgiProtocolError("too many lines")
    raw: dict[str, str] = {}
    for line in lines:
        line = line.rstrip(b"\r")
        if len(line) > MAX_HEADER_LINE_BYTES:
            raise AgiProtocolError("line too long")
        key, sep, value = decode_line(line).partition(":")
        if not sep or not re.fullmatch(r"agi_[a-z0-9_]{1,64}", key, re.ASCII):
            raise AgiProtocolError("malformed")
        if key in raw:
            raise AgiProtocolError("duplicate")
        raw[key] = value.removeprefix(" ")
    return raw


_VALID_KEYS = st.sampled_from([b"agi_network_script", b"agi_callerid", b"agi_arg_1", b"agi_x"])
_BAD_KEYS = st.sampled_from([b"AGI_X", b"agi_", b"agi_" + b"k" * 65, b"garbage", b""])
_HEADER_VALUES = st.one_of(
    st.sampled_from([b"", b" ", b"  x", b" 0912", b"a:b", b"\r", b" v\r\r", b"a\rb", b"\xff\xfe"]),
    st.binary(max_size=20).map(lambda b: b.replace(b"\n", b"")),
)
_GOOD_LINES = st.tuples(_VALID_KEYS, st.sampled_from([b":", b": "]), _HEADER_VALUES)
_ANY_LINES = st.tuples(
    st.one_of(_VALID_KEYS, _BAD_KEYS), st.sampled_from([b":", b": ", b""]), _HEADER_VALUES
)


@settings(max_examples=1000)
@given(st.one_of(st.lists(_GOOD_LINES, max_size=6), st.lists(_ANY_LINES, max_size=6)))
def test_the_block_header_parser_agrees_with_the_line_by_line_rules(
    lines: list[tuple[bytes, bytes, bytes]],
) -> None:
    block = b"".join(key + sep + value + b"\n" for key, sep, value in lines)
    try:
        expected = _reference_environment(block)
    except AgiProtocolError:
        with pytest.raises(AgiProtocolError):
            parse_environment(block)
        return
    assert dict(parse_environment(block).raw) == expected
