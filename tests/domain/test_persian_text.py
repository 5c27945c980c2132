from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from samad_ivr.domain.persian_text import normalise_for_search, search_terms


def test_arabic_yeh_and_kaf_are_the_persian_letters() -> None:
    assert normalise_for_search("كتابي") == normalise_for_search("کتابی") == "کتابی"
    assert normalise_for_search("ﻛﺘﺎﺏ") == "کتاب"  # presentation forms from old PDFs


def test_persian_and_arabic_indic_digits_are_ascii() -> None:
    assert normalise_for_search("۱۲۳۴۵ ١٢٣٤٥") == "12345 12345"


def test_zero_width_non_joiner_is_a_word_break() -> None:
    assert search_terms("می‌خواهم") == search_terms("می خواهم") == ["می", "خواهم"]


def test_diacritics_and_tatweel_are_removed() -> None:
    assert normalise_for_search("مُحَمَّدٌ") == "محمد"
    assert normalise_for_search("ســلام") == "سلام"
    assert normalise_for_search("خانهٔ من") == normalise_for_search("خانۀ من") == "خانه من"


def test_punctuation_splits_words_and_latin_is_lower_case() -> None:
    assert search_terms("آب، برق؟ (گاز) SMS!") == ["اب", "برق", "گاز", "sms"]


@given(st.text())
def test_normalising_twice_changes_nothing(text: str) -> None:
    once = normalise_for_search(text)
    assert normalise_for_search(once) == once
