"""Browser-playable copies of call recordings, made once and cached.

Recordings are 8 kHz WAV (often two channels: caller and what the caller heard).  On the
first play we export an MP3 with pydub/ffmpeg into a cache directory, named after the
recording id and its sha256 so a replaced file never serves a stale copy.  The export
runs in a worker thread; concurrent first plays of one recording share one export.
"""

from __future__ import annotations

import asyncio
import logging
import os
from pathlib import Path

from pydub import AudioSegment

__all__ = ["TranscodeError", "Transcoder", "resolve_recording"]

log = logging.getLogger(__name__)

MP3_BITRATE = "32k"


class TranscodeError(Exception):
    """The recording is missing, outside the recordings directory, or not decodable."""


def resolve_recording(recordings_dir: Path, relative: str) -> Path:
    """The file for a stored relative path; never anything outside `recordings_dir`."""
    base = recordings_dir.resolve()
    path = (base / relative).resolve()
    if not path.is_relative_to(base) or path == base:
        raise TranscodeError(f"recording path escapes the recordings directory: {relative!r}")
    return path


def _export(source: Path, target: Path) -> None:
    if not source.is_file():
        raise TranscodeError(f"recording file is missing: {source.name}")
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        # pydub leaves files it opened itself unclosed: hand it open files instead.
        with source.open("rb") as wav:
            audio = AudioSegment.from_file(wav, format="wav")
        with tmp.open("wb") as out:
            audio.export(out, format="mp3", bitrate=MP3_BITRATE)
    except Exception as exc:  # pydub raises bare Exceptions and CouldntDecodeError
        raise TranscodeError(f"cannot transcode {source.name}: {exc}") from exc
    os.replace(tmp, target)  # atomic: readers see the whole file or none


class Transcoder:
    """Find or make the MP3 of a recording (one instance per web app)."""

    def __init__(self, recordings_dir: Path, cache_dir: Path | None = None) -> None:
        self._recordings_dir = recordings_dir
        self.cache_dir = cache_dir or recordings_dir / ".cache"
        self._pending: dict[Path, asyncio.Future[Path]] = {}

    def cached_path(self, recording_id: int, sha256: str | None) -> Path:
        tag = (sha256 or "nohash")[:16]
        return self.cache_dir / f"{recording_id}-{tag}.mp3"

    async def mp3(self, recording_id: int, relative: str, sha256: str | None) -> Path:
        target = self.cached_path(recording_id, sha256)
        if target.is_file():
            return target
        pending = self._pending.get(target)
        if pending is not None:
            return await asyncio.shield(pending)
        source = resolve_recording(self._recordings_dir, relative)
        future: asyncio.Future[Path] = asyncio.get_running_loop().create_future()
        self._pending[target] = future
        try:
            await asyncio.to_thread(self.cache_dir.mkdir, parents=True, exist_ok=True)
            await asyncio.to_thread(_export, source, target)
            future.set_result(target)
            log.info("recording %d transcoded to MP3", recording_id)
            return target
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # retrieved: nobody else may be waiting
            raise
        finally:
            del self._pending[target]
