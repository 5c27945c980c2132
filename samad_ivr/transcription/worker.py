"""The transcription worker's loop: claim a recording, decode it, store words per speaker.

It runs inside a worker process of its own (samad_ivr.transcription.process), never in
the service's event loop.  Decoding runs in a thread of that process so the loop stays
free to talk to PostgreSQL.  A file that cannot be decoded is retried with backoff and
then marked failed with the reason; a database outage pauses the loop and a finished
transcript is kept in memory until it can be stored, so no work and no job is lost.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from samad_ivr.domain.persian_text import normalise_for_search
from samad_ivr.domain.topic_match import suggest_topic
from samad_ivr.sms.policy import retry_delay
from samad_ivr.storage.db import StorageUnavailable
from samad_ivr.storage.transcription_jobs import ClaimedJob, SpeakerText, TranscriptionJobs
from samad_ivr.transcription.config import TranscriptionSettings
from samad_ivr.transcription.engine import ChannelTranscript, FileTranscript, TranscriptionError

log = logging.getLogger(__name__)

MAX_OUTAGE_PAUSE = 60.0


class Transcriber(Protocol):
    """Decodes one file, blocking; `name` identifies the model in stored results."""

    @property
    def name(self) -> str: ...

    def transcribe(self, path: Path) -> FileTranscript: ...


def speakers_of(kind: str, channels: Sequence[ChannelTranscript]) -> list[SpeakerText]:
    """Name the channels: a call's 0 is the caller and 1 the hotline; a message is the
    caller alone; a one-channel call (older recordings) is both, 'mixed'."""
    if len(channels) >= 2:
        names = ["caller", "hotline"]
    else:
        names = ["caller" if kind == "message" else "mixed"]
    out = []
    for name, channel in zip(names, channels, strict=False):
        words = tuple((w.word, w.start, w.end, w.conf) for w in channel.words)
        out.append(SpeakerText(name, channel.text, normalise_for_search(channel.text), words))
    return out


@dataclass(frozen=True, slots=True)
class _Unsaved:
    job: ClaimedJob
    speakers: list[SpeakerText]
    audio_seconds: float
    processing_seconds: float


class TranscriptionWorker:
    def __init__(
        self,
        *,
        jobs: TranscriptionJobs,
        transcriber: Transcriber,
        recordings_dir: Path,
        settings: TranscriptionSettings,
    ) -> None:
        self._jobs = jobs
        self._transcriber = transcriber
        self._dir = recordings_dir
        self._s = settings
        self._unsaved: _Unsaved | None = None

    async def run_once(self) -> bool:
        """Store what waits to be stored, then one job; False when there was nothing."""
        if self._unsaved is not None:
            await self._store(self._unsaved)
            self._unsaved = None
        job = await self._jobs.claim(self._s.lease_seconds)
        if job is None:
            return False
        path = self._dir / job.path
        started = time.monotonic()
        try:
            result = await asyncio.to_thread(self._transcriber.transcribe, path)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a corrupt file, a vosk crash: this job, not the worker
            reason = str(exc) if isinstance(exc, TranscriptionError) else repr(exc)
            await self._failed(job, reason)
            return True
        unsaved = _Unsaved(
            job,
            speakers_of(job.kind, result.channels),
            result.duration_seconds,
            time.monotonic() - started,
        )
        # Kept before storing: if the database is down now, the next pass stores it.
        self._unsaved = unsaved
        await self._store(unsaved)
        self._unsaved = None
        return True

    async def _store(self, done: _Unsaved) -> None:
        job = done.job
        suggestion = None
        caller = [s for s in done.speakers if s.speaker in ("caller", "mixed")]
        if caller and job.center_id is not None:
            suggestion = suggest_topic(caller[0].text, await self._jobs.lexicon(job.center_id))
        kept = await self._jobs.finish(
            job,
            done.speakers,
            audio_seconds=done.audio_seconds,
            processing_seconds=done.processing_seconds,
            model=self._transcriber.name,
            suggestion=suggestion,
        )
        if kept:
            log.info(
                "recording %s transcribed: %.1f s of audio in %.1f s",
                job.recording_id,
                done.audio_seconds,
                done.processing_seconds,
            )
        else:
            log.warning("recording %s: lease lost before the transcript was stored", job.path)

    async def _failed(self, job: ClaimedJob, reason: str) -> None:
        if job.attempt >= self._s.max_attempts:
            log.error("recording %s failed for good: %s", job.path, reason)
            await self._jobs.fail(job, reason)
            return
        delay = retry_delay(job.attempt, self._s.retry_base_seconds, self._s.retry_max_seconds)
        log.warning(
            "recording %s attempt %s failed (%s); retry in %.0f s",
            job.path,
            job.attempt,
            reason,
            delay,
        )
        await self._jobs.retry(job, reason, delay)

    async def run(self) -> None:
        """Loop until cancelled; a database outage only pauses it."""
        pause = self._s.idle_seconds
        while True:
            try:
                busy = await self.run_once()
                pause = self._s.idle_seconds
            except StorageUnavailable as exc:
                log.warning("transcription worker paused: %s", exc)
                busy = False
                pause = min(pause * 2, MAX_OUTAGE_PAUSE)
            if not busy:
                await asyncio.sleep(pause)
