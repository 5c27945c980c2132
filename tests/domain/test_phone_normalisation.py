from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from samad_ivr.domain.phone import CallerNumber, normalise_caller_id

E164 = re.compile(r"^\+[1-9]\d{6,14}$")
MOBILE = "+989123456789"
LANDLINE = "+988132345678"


@pytest.mark.parametrize(
    "raw",
    [
        "9123456789",
        "09123456789",
        "989123456789",
        "00989123456789",
        "+989123456789",
        "۰۹۱۲۳۴۵۶۷۸۹",
        "٠٩١٢٣٤٥٦٧٨٩",
        "+۹۸۹۱۲۳۴۵۶۷۸۹",
        "0912 345 6789",
        "0912-345-6789",
        "(0912) 345-6789",
        '"09123456789"',
        " 09123456789\n",
        "\u200e09123456789\u200f",
    ],
)
def test_every_iranian_mobile_form_becomes_the_same_e164(raw: str) -> None:
    caller = normalise_caller_id(raw)
    assert caller == CallerNumber(raw=raw, e164=MOBILE, is_mobile=True)


@pytest.mark.parametrize(
    "raw", ["08132345678", "8132345678", "+988132345678", "988132345678", "00988132345678"]
)
def test_hamedan_landline_forms_are_valid_but_not_mobile(raw: str) -> None:
    caller = normalise_caller_id(raw)
    assert caller.e164 == LANDLINE
    assert not caller.is_mobile


@pytest.mark.parametrize(
    ("raw", "e164"), [("+14155552671", "+14155552671"), ("004915123456789", "+4915123456789")]
)
def test_foreign_numbers_keep_their_e164_and_are_not_mobile(raw: str, e164: str) -> None:
    caller = normalise_caller_id(raw)
    assert caller.e164 == e164
    assert not caller.is_mobile


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "anonymous",
        "unknown",
        "Anonymous",
        "123",
        "0",
        "+",
        "0912345678",
        "091234567890",
        '0912"; DROP TABLE calls; --',
        "0912\\3456789",
        "09123456789\x00",
        "0912345678٩" * 50,
        "1" * 500,
        "+98+9123456789",
        "0800FLOWERS",
        "09123456789²",
    ],
)
def test_garbage_caller_id_has_no_e164_and_no_mobile(raw: str) -> None:
    caller = normalise_caller_id(raw)
    assert caller.e164 is None
    assert not caller.is_mobile
    assert caller.raw == raw


def test_masked_mobile_hides_the_middle_digits() -> None:
    assert normalise_caller_id("09124444567").masked == "+98912***4567"


def test_masked_unknown_caller_reads_unknown() -> None:
    assert normalise_caller_id("anonymous").masked == "<unknown>"


def test_repr_never_shows_the_full_number() -> None:
    caller = normalise_caller_id("09124444567")
    assert "09124444567" not in repr(caller)
    assert "+989124444567" not in repr(caller)
    assert "+98912***4567" in repr(caller)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=600))
def test_arbitrary_text_never_raises_and_e164_is_well_formed(raw: str) -> None:
    caller = normalise_caller_id(raw)
    assert caller.raw == raw
    if caller.e164 is None:
        assert not caller.is_mobile
    else:
        assert E164.match(caller.e164)
    if caller.is_mobile:
        assert caller.e164 is not None
        assert caller.e164.startswith("+989")


digit_text = st.text(alphabet="0123456789+ -()۰۱۲۳۴۵۶۷۸۹", max_size=20)


@settings(max_examples=300, deadline=None)
@given(digit_text)
def test_digit_like_text_never_raises_and_e164_is_well_formed(raw: str) -> None:
    caller = normalise_caller_id(raw)
    assert caller.e164 is None or E164.match(caller.e164)


@settings(max_examples=200, deadline=None)
@given(st.from_regex(r"9[0-9]{9}", fullmatch=True))
def test_any_9xx_number_in_every_trunk_form_normalises_identically(national: str) -> None:
    forms = [national, "0" + national, "98" + national, "0098" + national, "+98" + national]
    results = {normalise_caller_id(form) for form in forms}
    assert len({(caller.e164, caller.is_mobile) for caller in results}) == 1
    e164 = normalise_caller_id(national).e164
    assert e164 is None or e164 == "+98" + national


@settings(max_examples=100, deadline=None)
@given(st.from_regex(r"91[0-9]{8}", fullmatch=True))
def test_mci_mobiles_in_the_091_range_are_mobile(national: str) -> None:
    assert normalise_caller_id("0" + national).is_mobile


def test_fixed_wireless_094_numbers_are_not_mobile() -> None:
    # +98 94x is fixed wireless: valid, starts with +989, but cannot receive SMS.
    caller = normalise_caller_id("09400000000")
    assert caller.e164 == "+989400000000"
    assert not caller.is_mobile
