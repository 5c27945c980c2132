"""Every parser of outside input, fuzzed (issue 15): each raises only its own documented
error (or none), and what it accepts satisfies the invariants the rest of the code relies
on.  Derandomized and bounded, so the suite stays deterministic and quick.
"""

from __future__ import annotations

import contextlib
import csv
import io
import re
from datetime import date, time
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from samad_ivr.admin.csv_import import MAX_CSV_ROWS, OfficialDirectory, parse_roster_csv
from samad_ivr.admin.jalali import InputError, parse_jalali_date, parse_month, parse_time
from samad_ivr.agi.protocol import (
    AgiArgumentError,
    AgiProtocolError,
    build_command,
    parse_environment,
    parse_reply,
    quote_arg,
)
from samad_ivr.domain.phone import display_phone, normalise_caller_id
from samad_ivr.domain.satisfaction import outcome_of_digit
from samad_ivr.domain.status_line import caller_bucket, clean_typed, code_of
from samad_ivr.domain.tracking import is_valid_tracking_code, verhoeff_check_digit
from samad_ivr.sms.kavenegar import _parse as parse_kavenegar
from samad_ivr.sms.policy import kannel_dlr_status
from samad_ivr.sms.text import TemplateError, normalise_reply, sms_parts, validate_template

FUZZ = settings(max_examples=300, derandomize=True, deadline=None, database=None)
TEHRAN = ZoneInfo("Asia/Tehran")
PERSIAN_DIGITS = "۰۱۲۳۴۵۶۷۸۹"
ARABIC_DIGITS = "٠١٢٣٤٥٦٧٨٩"

# Text an attacker can type or send: ASCII, Persian and Arabic digits, controls, RTL marks.
hostile_text = st.text(
    alphabet=st.one_of(
        st.characters(codec="utf-8"),
        st.sampled_from(
            f"0123456789+-/:. \t\n\r\x00\u200c\u200f\u202e{PERSIAN_DIGITS}{ARABIC_DIGITS}"
        ),
    ),
    max_size=80,
)


@FUZZ
@given(hostile_text)
def test_caller_ids_never_raise_and_any_e164_is_plain_digits(raw: str) -> None:
    number = normalise_caller_id(raw)
    if number.e164 is not None:
        assert re.fullmatch(r"\+[1-9][0-9]{6,14}", number.e164)
        assert number.e164 not in repr(number)
    assert "\n" not in display_phone(number.e164)


@FUZZ
@given(
    st.sampled_from(["", "0", "+98", "0098", "98"]),
    st.sampled_from(["912", "935", "901", "990", "921", "918"]),
    st.text(alphabet="0123456789", min_size=7, max_size=7),
    st.booleans(),
)
def test_every_spelling_of_an_iranian_mobile_is_one_e164(
    prefix: str, operator: str, rest: str, persian: bool
) -> None:
    raw = prefix + operator + rest
    if persian:
        raw = raw.translate(str.maketrans("0123456789", PERSIAN_DIGITS))
    number = normalise_caller_id(raw)
    assert number.is_mobile
    assert number.e164 == f"+98{operator}{rest}"


@FUZZ
@given(hostile_text)
def test_jalali_dates_times_and_months_raise_only_input_error(raw: str) -> None:
    for parse in (parse_jalali_date, parse_time, parse_month):
        try:
            value = parse(raw)
        except InputError:
            continue
        assert isinstance(value, date | time) or hasattr(value, "year")


@FUZZ
@given(st.dates(date(1971, 3, 21), date(2120, 3, 20)))
def test_a_typed_jalali_date_round_trips_in_any_digits(day: date) -> None:
    from samad_ivr.admin.jalali import iso_jalali

    typed = iso_jalali(day).replace("-", "/")
    persian = typed.translate(str.maketrans("0123456789", PERSIAN_DIGITS))
    assert parse_jalali_date(typed) == parse_jalali_date(persian) == day


@FUZZ
@given(hostile_text)
def test_tracking_codes_and_dtmf_keep_only_digits_and_a_valid_checksum(raw: str) -> None:
    typed = clean_typed(raw)
    assert set(typed) <= set("0123456789*#ABCD")
    assert len(typed) <= 32
    assert not typed.endswith("#")
    code = code_of(typed)
    if code is not None:
        assert len(code) == 10
        assert code.isascii()
        assert code.isdigit()
        assert is_valid_tracking_code(code)
    assert isinstance(is_valid_tracking_code(raw), bool)
    assert "\n" not in caller_bucket(raw)


@FUZZ
@given(st.integers(10**8, 10**9 - 1), st.integers(0, 9), st.integers(1, 9))
def test_one_wrong_digit_in_a_tracking_code_is_always_caught(
    payload: int, position: int, shift: int
) -> None:
    code = str(payload) + verhoeff_check_digit(str(payload))
    wrong = code[:position] + str((int(code[position]) + shift) % 10) + code[position + 1 :]
    assert is_valid_tracking_code(code)
    assert not is_valid_tracking_code(wrong)


@FUZZ
@given(hostile_text)
def test_sms_replies_normalise_without_raising_and_only_1_or_2_decide(text: str) -> None:
    reply = normalise_reply(text)
    outcome = outcome_of_digit(reply)
    if outcome is not None:
        assert reply in ("1", "2")
    assert sms_parts(text).parts >= 0


@FUZZ
@given(st.integers(-(2**40), 2**40), hostile_text)
def test_kannel_delivery_reports_of_any_type_raise_nothing(dlr_type: int, answer: str) -> None:
    kannel_dlr_status(dlr_type, answer)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner),
    max_leaves=20,
)


@FUZZ
@given(st.one_of(hostile_text, json_values.map(repr), st.builds(str, json_values)))
def test_kavenegar_answers_in_any_shape_parse_or_are_none(raw: str) -> None:
    parsed = parse_kavenegar(raw)
    if parsed is not None:
        status, entries = parsed
        assert isinstance(status, int)
        assert isinstance(entries, list)


@FUZZ
@given(hostile_text)
def test_admin_sms_templates_raise_only_template_error(body: str) -> None:
    with contextlib.suppress(TemplateError):
        validate_template("tracking_code", body)


directory = OfficialDirectory.build([(1, "علی رضایی", "PJSIP/desk-1"), (2, "مریم", "PJSIP/desk-2")])
csv_cell = st.one_of(
    st.sampled_from(["1", "2", "PJSIP/desk-1", "علی رضایی", "1404/01/15", "۱۴۰۴/۰۱/۱۵", "09:00"]),
    hostile_text,
)


@FUZZ
@given(st.lists(st.lists(csv_cell, min_size=1, max_size=6), max_size=8))
def test_roster_csv_rows_become_slots_or_named_errors_never_exceptions(
    rows: list[list[str]],
) -> None:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["jalali_date", "start", "end", "official_id", "desk", "name"])
    writer.writerows(rows)
    result = parse_roster_csv(out.getvalue().encode("utf-8"), directory, TEHRAN)
    assert len(result.plan) <= MAX_CSV_ROWS
    assert all(error.text for error in result.errors)
    for slot in result.plan:
        assert slot.official_id in (1, 2)


@FUZZ
@given(st.binary(max_size=2000))
def test_roster_csv_of_arbitrary_bytes_raises_only_input_error(data: bytes) -> None:
    with contextlib.suppress(InputError):
        parse_roster_csv(data, directory, TEHRAN)


header_line = st.one_of(
    st.builds(
        lambda key, value: b"agi_" + key + b": " + value,
        st.from_regex(rb"[a-z0-9_]{1,20}", fullmatch=True),
        st.binary(max_size=60).filter(lambda b: b"\n" not in b),
    ),
    st.binary(max_size=60).filter(lambda b: b"\n" not in b),
)


@FUZZ
@given(st.lists(header_line, max_size=30))
def test_agi_header_blocks_parse_or_raise_only_protocol_errors(lines: list[bytes]) -> None:
    try:
        env = parse_environment(b"".join(line + b"\n" for line in lines))
    except AgiProtocolError:
        return
    assert "\n" not in env.uniqueid
    assert "\n" not in env.callerid


@FUZZ
@given(st.lists(st.text(max_size=100), min_size=1, max_size=4))
def test_agi_replies_parse_or_raise_only_protocol_errors(lines: list[str]) -> None:
    with contextlib.suppress(AgiProtocolError):
        parse_reply(lines)


@FUZZ
@given(hostile_text)
def test_caller_data_in_a_command_is_one_quoted_line_or_refused(value: str) -> None:
    try:
        line = build_command("SET VARIABLE", "SAMAD_CALLER", value)
    except AgiArgumentError:
        assert any(ord(c) < 0x20 or ord(c) == 0x7F for c in value) or not value.isprintable()
        return
    assert line.count(b"\n") == 1
    assert line.endswith(b"\n")
    text = line.decode("utf-8")[len('SET VARIABLE "SAMAD_CALLER" ') : -1]
    assert text == quote_arg(value)
    inner = text[1:-1]
    # Every quote inside is escaped, so the argument cannot end early.
    assert re.fullmatch(r'(?:[^"\\]|\\.)*', inner)
