from __future__ import annotations

import json

from samad_ivr.domain.persian_text import normalise_for_search
from samad_ivr.storage.db import Pool
from samad_ivr.storage.transcripts import find_phrase, search_transcripts

from .factories import add_center, add_recording


async def _said(pool: Pool, recording_id: int, speaker: str, text: str) -> None:
    words = [[w, i * 1.0, i * 1.0 + 0.8, 1.0] for i, w in enumerate(text.split())]
    await pool.execute(
        "INSERT INTO transcripts (recording_id, speaker, text, normalised, words)"
        " VALUES ($1, $2, $3, $4, $5::jsonb)",
        recording_id, speaker, text, normalise_for_search(text), json.dumps(words),
    )  # fmt: skip


def test_a_phrase_maps_back_to_the_recognised_words_it_came_from() -> None:
    words = ["سلام", "مي‌خواهم", "وام", "بگیرم"]
    assert find_phrase(words, ["خواهم", "وام"]) == (1, 2)
    assert find_phrase(words, ["وام", "سلام"]) is None


async def test_a_phrase_finds_the_call_with_its_second_and_context_in_visible_centers(
    db_pool: Pool,
) -> None:
    hamedan, tehran = await add_center(db_pool), await add_center(db_pool)
    here = await add_recording(db_pool, hamedan, "h.wav")
    there = await add_recording(db_pool, tehran, "t.wav")
    await _said(db_pool, here, "caller", "سلام وام مسكن ۱۲ ميليوني من هنوز نيامده است")
    await _said(db_pool, here, "hotline", "سامانه سامد سلام")
    await _said(db_pool, there, "caller", "وام مسکن را می‌خواهم")

    hits = await search_transcripts(db_pool, "وام مسکن", centers=None)
    assert {(h.recording_id, h.speaker, h.start) for h in hits} == {
        (here, "caller", 1.0),
        (there, "caller", 0.0),
    }
    [hit] = await search_transcripts(db_pool, "مسکن 12", centers=frozenset({hamedan}))
    assert (hit.before, hit.phrase, hit.after) == (
        "سلام وام",
        "مسكن ۱۲",
        "ميليوني من هنوز نيامده است",
    )
    assert await search_transcripts(db_pool, "سامد", centers=frozenset({tehran})) == []
    assert await search_transcripts(db_pool, "  ؟ ", centers=None) == []
