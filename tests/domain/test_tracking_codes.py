from __future__ import annotations

import itertools
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from samad_ivr.domain.tracking import (
    CODE_LENGTH,
    is_valid_tracking_code,
    new_tracking_code,
    verhoeff_check_digit,
)

seeds = st.integers(min_value=0, max_value=2**32)


def _code(seed: int) -> str:
    return new_tracking_code(random.Random(seed))


@pytest.mark.parametrize(
    ("payload", "check"),
    # Published Verhoeff examples (Wikipedia, and the 142857 sample of Verhoeff's book).
    [("236", "3"), ("12345", "1"), ("142857", "0"), ("0", "4")],
)
def test_check_digit_matches_published_examples(payload: str, check: str) -> None:
    assert verhoeff_check_digit(payload) == check


@pytest.mark.parametrize("payload", ["", "12a", "۱۲۳", "12 3", "123\n"])
def test_check_digit_refuses_anything_but_ascii_digits(payload: str) -> None:
    with pytest.raises(ValueError, match="ASCII digits"):
        verhoeff_check_digit(payload)


@settings(max_examples=200)
@given(seeds)
def test_new_codes_are_valid_and_of_code_length(seed: int) -> None:
    code = _code(seed)
    assert len(code) == CODE_LENGTH
    assert code.isascii()
    assert code.isdigit()
    assert code[0] != "0"
    assert is_valid_tracking_code(code)


@settings(max_examples=200)
@given(seeds, st.integers(0, CODE_LENGTH - 1), st.integers(1, 9))
def test_every_single_digit_substitution_is_rejected(seed: int, position: int, shift: int) -> None:
    code = _code(seed)
    wrong = str((int(code[position]) + shift) % 10)
    typo = code[:position] + wrong + code[position + 1 :]
    assert not is_valid_tracking_code(typo)


@settings(max_examples=200)
@given(seeds, st.integers(0, CODE_LENGTH - 2))
def test_every_adjacent_transposition_of_different_digits_is_rejected(
    seed: int, position: int
) -> None:
    code = _code(seed)
    first, second = code[position], code[position + 1]
    if first == second:
        return
    swapped = code[:position] + second + first + code[position + 2 :]
    assert not is_valid_tracking_code(swapped)


@pytest.mark.parametrize("seed", range(0, 300, 3))
def test_exhaustive_substitutions_and_transpositions_of_a_code_are_rejected(seed: int) -> None:
    code = _code(seed)
    for position in range(CODE_LENGTH):
        for digit in "0123456789":
            if digit != code[position]:
                typo = code[:position] + digit + code[position + 1 :]
                assert not is_valid_tracking_code(typo), typo
    for position in range(CODE_LENGTH - 1):
        if code[position] != code[position + 1]:
            swapped = code[:position] + code[position + 1] + code[position] + code[position + 2 :]
            assert not is_valid_tracking_code(swapped), swapped


def test_ten_thousand_seeded_codes_have_no_duplicates_and_are_not_sequential() -> None:
    rng = random.Random(111)
    codes = [new_tracking_code(rng) for _ in range(10_000)]
    assert len(set(codes)) == len(codes)
    payloads = [int(code[:-1]) for code in codes]
    steps = {later - earlier for earlier, later in itertools.pairwise(payloads)}
    # A counter would show one constant step; random draws show thousands of steps.
    assert len(steps) > 9_000
    assert 1 not in steps
    assert payloads != sorted(payloads)


def test_same_seed_gives_the_same_codes_so_tests_are_reproducible() -> None:
    assert _code(7) == _code(7)


@pytest.mark.parametrize(
    "code",
    [
        "",
        "236",
        "12345678901",
        "۱۲۳۴۵۶۷۸۹۰",
        "123456789 ",
        " 1234567890",
        "12345-6789",
        "abcdefghij",
    ],
)
def test_anything_but_ten_ascii_digits_is_rejected(code: str) -> None:
    assert not is_valid_tracking_code(code)


@settings(max_examples=100)
@given(seeds)
def test_persian_digit_spelling_of_a_valid_code_is_rejected(seed: int) -> None:
    code = _code(seed)
    persian = code.translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹"))
    assert not is_valid_tracking_code(persian)
    assert not is_valid_tracking_code(code + "\n")


def test_checksum_valid_code_with_leading_zero_is_rejected() -> None:
    payload = "012345678"
    assert not is_valid_tracking_code(payload + verhoeff_check_digit(payload))
