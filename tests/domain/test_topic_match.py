from __future__ import annotations

from samad_ivr.domain.topic_match import Keyword, suggest_topic

LEXICON = [
    Keyword("housing", "اجاره"),
    Keyword("housing", "مسکن مهر", weight=2),
    Keyword("employment", "بیکاری"),
    Keyword("employment", "بیمه بیکاری", weight=3),
    Keyword("water", "آب"),
]


def test_the_topic_whose_keywords_the_caller_used_most_is_suggested() -> None:
    said = "سلام، من بیکار شدم و بیمهٔ بیكاری ام قطع شده، اجاره هم نمی‌دهم"
    suggestion = suggest_topic(said, LEXICON)
    assert suggestion is not None
    assert suggestion.topic == "employment"
    assert suggestion.score == 4  # «بیکاری» once (1) + «بیمه بیکاری» once (3)
    assert suggestion.matched == ("بیکاری", "بیمه بیکاری")


def test_a_phrase_counts_only_with_its_words_together() -> None:
    suggestion = suggest_topic("مهر امسال مسکن نداشتیم؛ مسکن مهر را می‌خواهیم", LEXICON)
    assert suggestion is not None
    assert (suggestion.topic, suggestion.score) == ("housing", 2)


def test_a_keyword_does_not_match_inside_a_longer_word() -> None:
    assert suggest_topic("آبان ماه تماس گرفتم", LEXICON) is None


def test_nothing_is_suggested_without_a_keyword() -> None:
    assert suggest_topic("سلام وقت بخیر", LEXICON) is None
    assert suggest_topic("", LEXICON) is None


def test_ties_go_to_more_distinct_phrases_then_to_the_code() -> None:
    lexicon = [Keyword("b", "برق"), Keyword("a", "قطعی"), Keyword("c", "برق قطع", weight=1)]
    suggestion = suggest_topic("برق قطعی", lexicon)
    assert suggestion is not None
    assert suggestion.topic == "a"
