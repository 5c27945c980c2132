"""Phone numbers as people in Iran read them: national format, Persian digits."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from samad_ivr.domain.phone import display_phone, normalise_caller_id

PERSIAN_DIGITS = "۰۱۲۳۴۵۶۷۸۹"


@pytest.mark.parametrize(
    "raw",
    ["+989181234567", "989181234567", "09181234567", "9181234567", "00989181234567",
     "۰۹۱۸۱۲۳۴۵۶۷", "٠٩١٨١٢٣٤٥٦٧", "0918 123 4567", "۰۹۱۸ ۱۲۳ ۴۵۶۷"],
)  # fmt: skip
def test_a_mobile_in_any_form_reads_as_four_three_four_persian_digits(raw: str) -> None:
    assert display_phone(raw) == "۰۹۱۸ ۱۲۳ ۴۵۶۷"


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("+988131234567", "۰۸۱ ۳۱۲۳ ۴۵۶۷"),  # Hamedan
        ("02112345678", "۰۲۱ ۱۲۳۴ ۵۶۷۸"),  # Tehran
        ("8131234567", "۰۸۱ ۳۱۲۳ ۴۵۶۷"),
    ],
)
def test_a_landline_reads_as_area_code_and_two_groups_of_four(raw: str, shown: str) -> None:
    assert display_phone(raw) == shown


def test_a_number_from_another_country_stays_e164_in_persian_digits() -> None:
    assert display_phone("+442079460958") == "+۴۴۲۰۷۹۴۶۰۹۵۸"


@pytest.mark.parametrize(("raw", "shown"), [("anonymous", "anonymous"), (" 1001 ", "۱۰۰۱")])
def test_text_that_is_no_number_is_shown_as_it_came(raw: str, shown: str) -> None:
    assert display_phone(raw) == shown


@pytest.mark.parametrize("raw", [None, "", "   "])
def test_no_number_at_all_reads_unknown(raw: str | None) -> None:
    assert display_phone(raw) == "نامشخص"


@given(st.from_regex(r"9[0-9]{9}", fullmatch=True))
def test_every_iranian_mobile_is_shown_nationally_and_parses_back(significant: str) -> None:
    e164 = normalise_caller_id("+98" + significant).e164
    shown = display_phone("+98" + significant)
    if e164 is None:  # not an allocated mobile range: shown as typed, never reformatted
        assert shown == ("+98" + significant).translate(str.maketrans("0123456789", PERSIAN_DIGITS))
        return
    assert not shown.startswith("+")
    assert [len(group) for group in shown.split(" ")] == [4, 3, 4]
    assert set(shown.replace(" ", "")) <= set(PERSIAN_DIGITS)
    # What the pages show can be typed back into any number field.
    assert normalise_caller_id(shown).e164 == e164


@given(st.text(max_size=80))
def test_any_text_is_displayed_in_persian_digits_without_raising(raw: str) -> None:
    shown = display_phone(raw)
    assert shown
    assert not any(c in "0123456789" for c in shown)
