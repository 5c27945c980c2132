"""Reading transcripts: queue progress, one recording's words, and full-text search.

The search index is `transcripts.search`, a tsvector over text already folded by
`samad_ivr.domain.persian_text` (the 'simple' configuration: no stemming, which Persian
lacks in PostgreSQL); queries are folded the same way and matched as phrases.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from samad_ivr.domain.persian_text import normalise_for_search, search_terms
from samad_ivr.storage.db import Pool, connection

COUNTS_SQL = "SELECT state, count(*) AS n FROM transcription_jobs GROUP BY state"
THROUGHPUT_SQL = """
SELECT count(*) AS files, coalesce(sum(audio_seconds), 0) AS audio,
       coalesce(sum(processing_seconds), 0) AS busy
FROM transcription_jobs WHERE state = 'done' AND finished_at > now() - make_interval(secs => $1)
"""
RECENT_SQL = """
SELECT j.recording_id, r.call_id, r.path, j.state, j.attempts, j.last_error,
       j.audio_seconds, j.processing_seconds, j.enqueued_at, j.finished_at, j.worker
FROM transcription_jobs j JOIN recordings r ON r.id = j.recording_id
ORDER BY (j.state IN ('working', 'failed')) DESC, coalesce(j.finished_at, j.enqueued_at) DESC
LIMIT $1
"""
WORDS_SQL = """
SELECT speaker, text, words FROM transcripts WHERE recording_id = $1 ORDER BY speaker
"""
SEARCH_SQL = """
SELECT t.recording_id, r.call_id, t.speaker, t.words, c.started_at, ce.name AS center_name
FROM transcripts t JOIN recordings r ON r.id = t.recording_id JOIN calls c ON c.id = r.call_id
LEFT JOIN centers ce ON ce.id = c.center_id
WHERE t.search @@ phraseto_tsquery('simple', $1)
  AND ($2::int[] IS NULL OR c.center_id = ANY($2))
ORDER BY c.started_at DESC, t.speaker
LIMIT $3
"""

CONTEXT_WORDS = 6


@dataclass(frozen=True, slots=True)
class QueueStatus:
    counts: dict[str, int]  # queued, working, done, failed
    files_last_hour: int
    audio_seconds_last_hour: float
    busy_seconds_last_hour: float

    @property
    def backlog(self) -> int:
        return self.counts.get("queued", 0) + self.counts.get("working", 0)

    @property
    def real_time_factor(self) -> float | None:
        """Decoding time per second of audio over the last hour (lower is faster)."""
        if self.audio_seconds_last_hour <= 0:
            return None
        return self.busy_seconds_last_hour / self.audio_seconds_last_hour


@dataclass(frozen=True, slots=True)
class JobRow:
    recording_id: int
    call_id: int
    path: str
    state: str
    attempts: int
    last_error: str | None
    audio_seconds: float | None
    processing_seconds: float | None
    enqueued_at: datetime
    finished_at: datetime | None
    worker: str | None


@dataclass(frozen=True, slots=True)
class Hit:
    recording_id: int
    call_id: int
    speaker: str
    started_at: datetime  # the call's
    center_name: str | None
    start: float  # seconds into the recording where the phrase begins
    before: str
    phrase: str  # the words as recognised
    after: str


async def queue_status(pool: Pool, window_seconds: float = 3600.0) -> QueueStatus:
    async with connection(pool) as conn:
        counts = {r["state"]: r["n"] for r in await conn.fetch(COUNTS_SQL)}
        row = await conn.fetchrow(THROUGHPUT_SQL, window_seconds)
    assert row is not None
    return QueueStatus(counts, row["files"], float(row["audio"]), float(row["busy"]))


async def recent_jobs(pool: Pool, limit: int = 50) -> list[JobRow]:
    async with connection(pool) as conn:
        rows = await conn.fetch(RECENT_SQL, limit)
    return [JobRow(**dict(r)) for r in rows]


async def search_transcripts(
    pool: Pool, query: str, *, centers: frozenset[int] | None = None, limit: int = 50
) -> list[Hit]:
    """Recordings where the phrase was said, each hit with its time and its context.

    `centers` None searches every center (national roles); a set limits the calls to it."""
    terms = search_terms(query)
    if not terms:
        return []
    async with connection(pool) as conn:
        visible = sorted(centers) if centers is not None else None
        rows = await conn.fetch(SEARCH_SQL, " ".join(terms), visible, limit)
    hits = []
    for row in rows:
        stored = json.loads(row["words"])
        words = [str(w[0]) for w in stored]
        times = [float(w[1]) for w in stored]
        at = find_phrase(words, terms)
        if at is None:  # the index matched across a word the folding split
            continue
        first, last = at
        hits.append(
            Hit(
                recording_id=row["recording_id"],
                call_id=row["call_id"],
                speaker=row["speaker"],
                started_at=row["started_at"],
                center_name=row["center_name"],
                start=times[first],
                before=" ".join(words[max(0, first - CONTEXT_WORDS) : first]),
                phrase=" ".join(words[first : last + 1]),
                after=" ".join(words[last + 1 : last + 1 + CONTEXT_WORDS]),
            )
        )
    return hits


def find_phrase(words: Sequence[str], terms: Sequence[str]) -> tuple[int, int] | None:
    """The first and last recognised word that hold `terms` in a row, or None.

    A recognised word may fold into several terms (a ZWNJ becomes a break), so the
    folded terms are matched and mapped back to the words they came from."""
    folded: list[tuple[str, int]] = []
    for index, word in enumerate(words):
        folded += [(term, index) for term in normalise_for_search(word).split()]
    n = len(terms)
    for i in range(len(folded) - n + 1):
        if [t for t, _ in folded[i : i + n]] == list(terms):
            return folded[i][1], folded[i + n - 1][1]
    return None
