"""The transcription queue (migrations/0020_transcripts.sql): claim, finish, retry, fail.

Claims use FOR UPDATE SKIP LOCKED, as the SMS outbox does, so any number of worker
processes share the queue without taking a job twice; a claim is a lease, and a job whose
worker died is taken again once the lease has run out.  Every write checks that the
writer still holds the lease, so a worker that lost it cannot overwrite a newer result.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

from samad_ivr.domain.topic_match import Keyword, TopicSuggestion
from samad_ivr.storage.db import Pool, connection

CLAIM_SQL = """
UPDATE transcription_jobs j
SET state = 'working', attempts = j.attempts + 1, worker = $1,
    lease_until = now() + make_interval(secs => $2), started_at = now()
FROM (
    SELECT recording_id FROM transcription_jobs
    WHERE state IN ('queued', 'working') AND next_attempt_at <= now()
      AND (lease_until IS NULL OR lease_until < now())
    ORDER BY next_attempt_at, recording_id
    LIMIT 1
    FOR UPDATE SKIP LOCKED
) due, recordings r, calls c
WHERE j.recording_id = due.recording_id AND r.id = j.recording_id AND c.id = r.call_id
RETURNING j.recording_id, j.attempts, r.call_id, r.kind, r.path, c.center_id
"""
LEXICON_SQL = """
SELECT k.topic, k.phrase, k.weight FROM topic_keywords k
JOIN topics t ON t.center_id = k.center_id AND t.code = k.topic
WHERE k.center_id = $1 AND t.active
"""
DELETE_TRANSCRIPTS_SQL = "DELETE FROM transcripts WHERE recording_id = $1"
INSERT_TRANSCRIPT_SQL = """
INSERT INTO transcripts (recording_id, speaker, text, normalised, words)
VALUES ($1, $2, $3, $4, $5::jsonb)
"""
DONE_SQL = """
UPDATE transcription_jobs
SET state = 'done', finished_at = now(), lease_until = NULL, last_error = NULL,
    audio_seconds = $3, processing_seconds = $4, model = $5
WHERE recording_id = $1 AND worker = $2 AND state = 'working'
"""
SUGGEST_SQL = """
INSERT INTO topic_suggestions (call_id, center_id, topic, score, matched)
VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (call_id) DO UPDATE SET center_id = EXCLUDED.center_id, topic = EXCLUDED.topic,
    score = EXCLUDED.score, matched = EXCLUDED.matched, suggested_at = now()
"""
RETRY_SQL = """
UPDATE transcription_jobs
SET state = 'queued', lease_until = NULL, last_error = $3,
    next_attempt_at = now() + make_interval(secs => $4)
WHERE recording_id = $1 AND worker = $2 AND state = 'working'
"""
FAIL_SQL = """
UPDATE transcription_jobs
SET state = 'failed', lease_until = NULL, last_error = $3, finished_at = now()
WHERE recording_id = $1 AND worker = $2 AND state = 'working'
"""
REQUEUE_SQL = """
UPDATE transcription_jobs
SET state = 'queued', attempts = 0, next_attempt_at = now(), last_error = NULL
WHERE recording_id = $1 AND state IN ('failed', 'done')
"""


@dataclass(frozen=True, slots=True)
class ClaimedJob:
    recording_id: int
    attempt: int  # 1 on the first try
    call_id: int
    kind: str  # 'call' (two channels) or 'message' (the caller alone)
    path: str  # relative to the recordings directory
    center_id: int | None


@dataclass(frozen=True, slots=True)
class SpeakerText:
    speaker: str  # 'caller', 'hotline' or 'mixed'
    text: str
    normalised: str
    words: tuple[tuple[str, float, float, float], ...]  # word, start, end, confidence


class TranscriptionJobs:
    def __init__(self, pool: Pool, worker: str) -> None:
        self._pool = pool
        self._worker = worker

    async def claim(self, lease_seconds: float) -> ClaimedJob | None:
        async with connection(self._pool) as conn:
            row = await conn.fetchrow(CLAIM_SQL, self._worker, lease_seconds)
        if row is None:
            return None
        return ClaimedJob(
            recording_id=row["recording_id"],
            attempt=row["attempts"],
            call_id=row["call_id"],
            kind=row["kind"],
            path=row["path"],
            center_id=row["center_id"],
        )

    async def lexicon(self, center_id: int) -> list[Keyword]:
        async with connection(self._pool) as conn:
            rows = await conn.fetch(LEXICON_SQL, center_id)
        return [Keyword(r["topic"], r["phrase"], r["weight"]) for r in rows]

    async def finish(
        self,
        job: ClaimedJob,
        speakers: Sequence[SpeakerText],
        *,
        audio_seconds: float,
        processing_seconds: float,
        model: str,
        suggestion: TopicSuggestion | None,
    ) -> bool:
        """Store the transcript and mark the job done; False if the lease was lost."""
        async with connection(self._pool) as conn, conn.transaction():
            status = await conn.execute(
                DONE_SQL, job.recording_id, self._worker, audio_seconds, processing_seconds, model
            )
            if status != "UPDATE 1":
                return False
            await conn.execute(DELETE_TRANSCRIPTS_SQL, job.recording_id)
            await conn.executemany(
                INSERT_TRANSCRIPT_SQL,
                [
                    (
                        job.recording_id,
                        s.speaker,
                        s.text,
                        s.normalised,
                        json.dumps([list(w) for w in s.words], ensure_ascii=False),
                    )
                    for s in speakers
                ],
            )
            if suggestion is not None and job.center_id is not None:
                await conn.execute(
                    SUGGEST_SQL,
                    job.call_id,
                    job.center_id,
                    suggestion.topic,
                    suggestion.score,
                    list(suggestion.matched),
                )
        return True

    async def retry(self, job: ClaimedJob, error: str, delay_seconds: float) -> bool:
        async with connection(self._pool) as conn:
            status = await conn.execute(
                RETRY_SQL, job.recording_id, self._worker, error[:1000], delay_seconds
            )
        return status == "UPDATE 1"

    async def fail(self, job: ClaimedJob, error: str) -> bool:
        async with connection(self._pool) as conn:
            status = await conn.execute(FAIL_SQL, job.recording_id, self._worker, error[:1000])
        return status == "UPDATE 1"

    async def requeue(self, recording_id: int) -> bool:
        """An admin asks for a failed (or finished) recording to be transcribed again."""
        async with connection(self._pool) as conn:
            status = await conn.execute(REQUEUE_SQL, recording_id)
        return status == "UPDATE 1"
