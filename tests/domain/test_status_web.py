"""Status on the web, pure rules: what a typed pair is, whether the digits match, when a
try is refused."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from samad_ivr.domain.status_web import (
    StatusWebLimits,
    Tries,
    clean_code,
    clean_digits,
    digits_match,
    refusal,
)

PERSIAN = "۰۱۲۳۴۵۶۷۸۹"


@given(st.text(alphabet="0123456789", min_size=10, max_size=10))
def test_a_code_typed_in_persian_digits_with_spaces_is_the_same_code(code: str) -> None:
    persian = "".join(PERSIAN[int(d)] for d in code)
    assert clean_code(f" {persian[:5]} - {persian[5:]} ") == code
    assert clean_code(code) == code


@given(st.text(max_size=30))
def test_anything_cleaned_is_exactly_ascii_digits_of_the_length(raw: str) -> None:
    cleaned = clean_digits(raw, 4)
    assert cleaned is None or (len(cleaned) == 4 and cleaned.isascii() and cleaned.isdigit())


def test_too_few_or_too_many_digits_are_not_a_pair_half() -> None:
    assert clean_digits("123", 4) is None
    assert clean_digits("12345", 4) is None
    assert clean_digits("12a4", 4) is None
    assert clean_digits("١٢٣٤", 4) == "1234"  # Arabic-Indic digits too


def test_the_digits_are_the_last_four_of_the_number_that_called() -> None:
    assert digits_match("+989181112233", "2233")
    assert not digits_match("+989181112233", "1223")
    assert not digits_match(None, "2233")
    assert not digits_match("", "")


def test_a_try_is_refused_at_either_limit() -> None:
    limits = StatusWebLimits(per_address_hour=3, failures_per_code_day=2)
    assert not refusal(Tries(2, 1), limits)
    assert refusal(Tries(3, 0), limits)
    assert refusal(Tries(0, 2), limits)
