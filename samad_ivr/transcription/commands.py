"""`samad-ivr models check DIR`, `samad-ivr transcribe FILE` and `transcribe --status`."""

from __future__ import annotations

import asyncio
import resource
import sys
import time
from pathlib import Path
from typing import TextIO

from samad_ivr.settings import Settings
from samad_ivr.storage.db import StorageUnavailable, create_pool
from samad_ivr.storage.transcripts import queue_status, recent_jobs
from samad_ivr.transcription.engine import TranscriptionError, VoskTranscriber
from samad_ivr.transcription.model_dir import ModelError, check_model
from samad_ivr.transcription.worker import speakers_of

PROGRESS_FROM_SECONDS = 60.0  # shorter files finish before a bar would help


def models_check(directory: Path) -> int:
    """Validate a model directory, load it once and say what it is and what it costs."""
    try:
        info = check_model(directory)
    except ModelError as exc:
        print(f"not a usable model: {exc}", file=sys.stderr)
        return 1
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.monotonic()
    try:
        VoskTranscriber(directory)
    except TranscriptionError as exc:
        print(f"the files are there but vosk refuses them: {exc}", file=sys.stderr)
        return 1
    loaded = time.monotonic() - started
    grown = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    print(f"model      {info.name} ({info.description or 'no README'})")
    print(f"graph      {info.graph}")
    print(f"audio      {info.sample_rate} Hz (call recordings are resampled from 8000 Hz)")
    print(f"on disk    {info.size_bytes / 1e6:.0f} MB")
    print(f"memory     about {grown:.0f} MB per worker process; loaded in {loaded:.1f} s")
    yes = {True: "yes", False: "no"}
    print(f"i-vectors  {yes[info.ivector]}; rescoring {yes[info.rescoring]}")
    return 0


def transcribe_file(settings: Settings, path: Path, model: Path | None) -> int:
    """Print the transcript of one file, per speaker, with the time of each line."""
    directory = model or settings.transcription.model_dir
    if directory is None:
        print("no model: set SAMAD_VOSK_MODEL or pass --model DIR", file=sys.stderr)
        return 2
    try:
        transcriber = VoskTranscriber(directory)
        result = transcriber.transcribe(path, progress=ProgressBar(sys.stderr))
    except (ModelError, TranscriptionError) as exc:
        print(f"samad-ivr transcribe: {exc}", file=sys.stderr)
        return 1
    kind = "call" if len(result.channels) > 1 else "message"
    for speaker in speakers_of(kind, result.channels):
        print(f"[{speaker.speaker}]")
        for line in _lines(speaker.words):
            print(line)
    return 0


def _lines(words: tuple[tuple[str, float, float, float], ...], per_line: int = 12) -> list[str]:
    return [
        f"  {_clock(words[i][1])}  " + " ".join(w[0] for w in words[i : i + per_line])
        for i in range(0, len(words), per_line)
    ]


def _clock(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    return f"{minutes:02d}:{secs:02d}"


class ProgressBar:
    """A one-line bar on stderr for files longer than a minute."""

    def __init__(self, out: TextIO, width: int = 40) -> None:
        self._out = out
        self._width = width

    def __call__(self, done: float, total: float) -> None:
        if total < PROGRESS_FROM_SECONDS:
            return
        filled = int(self._width * done / total)
        bar = "#" * filled + "-" * (self._width - filled)
        end = "\n" if done >= total else ""
        self._out.write(f"\r[{bar}] {_clock(done)} / {_clock(total)}{end}")
        self._out.flush()


async def print_status(settings: Settings) -> int:
    """Backlog, throughput over the last hour and the recordings still open or failed."""
    if settings.transcription.model_dir is None:
        print("transcription is off (SAMAD_VOSK_MODEL is not set)")
    try:
        pool = await create_pool(settings.database_url.value, min_size=1, max_size=1)
    except StorageUnavailable as exc:
        print(f"samad-ivr transcribe --status: {exc}", file=sys.stderr)
        return 1
    try:
        status = await queue_status(pool)
        jobs = await recent_jobs(pool, 20)
    finally:
        await pool.close()
    counts = status.counts
    print(
        f"backlog {status.backlog} (queued {counts.get('queued', 0)}, working "
        f"{counts.get('working', 0)}); done {counts.get('done', 0)}; "
        f"failed {counts.get('failed', 0)}"
    )
    rtf = status.real_time_factor
    print(
        f"last hour: {status.files_last_hour} recordings, "
        f"{status.audio_seconds_last_hour / 60:.1f} min of audio"
        + (f", real-time factor {rtf:.2f}" if rtf is not None else "")
    )
    for job in jobs:
        if job.state in ("done",):
            continue
        reason = f" - {job.last_error}" if job.last_error else ""
        print(f"  {job.state:8} recording {job.recording_id} ({job.path}), "
              f"attempts {job.attempts}{reason}")  # fmt: skip
    return 0


def run_status(settings: Settings) -> int:
    return asyncio.run(print_status(settings))
