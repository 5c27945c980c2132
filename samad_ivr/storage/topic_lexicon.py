"""The keyword lexicon per topic (migrations/0020_transcripts.sql), edited by admins."""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg

from samad_ivr.domain.persian_text import normalise_for_search
from samad_ivr.storage.db import Pool, StorageError, connection

LIST_SQL = """
SELECT k.topic, t.name AS topic_name, k.phrase, k.normalised, k.weight
FROM topic_keywords k JOIN topics t ON t.center_id = k.center_id AND t.code = k.topic
WHERE k.center_id = $1 ORDER BY t.position, t.name, k.phrase
"""
ADD_SQL = """
INSERT INTO topic_keywords (center_id, topic, phrase, normalised, weight)
VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (center_id, topic, normalised) DO UPDATE SET phrase = EXCLUDED.phrase,
    weight = EXCLUDED.weight
"""
REMOVE_SQL = "DELETE FROM topic_keywords WHERE center_id = $1 AND topic = $2 AND normalised = $3"
SUGGESTION_SQL = """
SELECT s.topic, t.name AS topic_name, s.score, s.matched
FROM topic_suggestions s JOIN topics t ON t.center_id = s.center_id AND t.code = s.topic
WHERE s.call_id = $1
"""


class LexiconError(StorageError):
    message_fa = "کلیدواژه ذخیره نشد."


@dataclass(frozen=True, slots=True)
class LexiconEntry:
    topic: str
    topic_name: str
    phrase: str
    normalised: str
    weight: int


@dataclass(frozen=True, slots=True)
class StoredSuggestion:
    topic: str
    topic_name: str
    score: int
    matched: tuple[str, ...]


class TopicLexicon:
    def __init__(self, pool: Pool) -> None:
        self._pool = pool

    async def entries(self, center_id: int) -> list[LexiconEntry]:
        async with connection(self._pool) as conn:
            rows = await conn.fetch(LIST_SQL, center_id)
        return [LexiconEntry(**dict(r)) for r in rows]

    async def add(self, center_id: int, topic: str, phrase: str, weight: int) -> None:
        normalised = normalise_for_search(phrase)
        if not normalised:
            raise LexiconError("empty keyword")
        try:
            async with connection(self._pool) as conn:
                await conn.execute(ADD_SQL, center_id, topic, phrase.strip(), normalised, weight)
        except asyncpg.ForeignKeyViolationError as exc:
            raise LexiconError(f"no topic {topic!r} in center {center_id}") from exc

    async def remove(self, center_id: int, topic: str, normalised: str) -> bool:
        async with connection(self._pool) as conn:
            status = await conn.execute(REMOVE_SQL, center_id, topic, normalised)
        return status == "DELETE 1"

    async def suggestion(self, call_id: int) -> StoredSuggestion | None:
        async with connection(self._pool) as conn:
            row = await conn.fetchrow(SUGGESTION_SQL, call_id)
        if row is None:
            return None
        return StoredSuggestion(
            row["topic"], row["topic_name"], row["score"], tuple(row["matched"])
        )
