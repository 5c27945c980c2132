"""Suggest a request's topic from what the caller said, with a keyword lexicon per topic.

Keywords are phrases of one or more words; a phrase counts where its words appear
consecutively in the caller's normalised transcript.  The suggestion is only advice:
whoever handles the request confirms or changes it, and a topic a person chose is never
replaced (the storage layer enforces that).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from samad_ivr.domain.persian_text import search_terms

__all__ = ["Keyword", "TopicSuggestion", "suggest_topic"]


@dataclass(frozen=True, slots=True)
class Keyword:
    topic: str  # the topic's code within its center
    phrase: str  # as the admin typed it
    weight: int = 1


@dataclass(frozen=True, slots=True)
class TopicSuggestion:
    topic: str
    score: int
    matched: tuple[str, ...]  # the lexicon phrases found, as typed


def _count(words: Sequence[str], phrase: Sequence[str]) -> int:
    n = len(phrase)
    if n == 0:
        return 0
    return sum(1 for i in range(len(words) - n + 1) if list(words[i : i + n]) == list(phrase))


def suggest_topic(caller_text: str, lexicon: Iterable[Keyword]) -> TopicSuggestion | None:
    """The topic whose keywords the caller used most (weight × occurrences), or None.

    Ties go to the topic with more distinct phrases matched, then to the lower code, so
    the same transcript and lexicon always give the same suggestion.
    """
    words = search_terms(caller_text)
    scores: dict[str, int] = {}
    matched: dict[str, list[str]] = {}
    for keyword in lexicon:
        hits = _count(words, search_terms(keyword.phrase))
        if hits and keyword.weight > 0:
            scores[keyword.topic] = scores.get(keyword.topic, 0) + hits * keyword.weight
            matched.setdefault(keyword.topic, []).append(keyword.phrase)
    if not scores:
        return None
    best = min(scores, key=lambda t: (-scores[t], -len(matched[t]), t))
    return TopicSuggestion(best, scores[best], tuple(matched[best]))
