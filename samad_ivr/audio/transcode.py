"""Browser-playable copies of call recordings, made once and cached.

Recordings are 8 kHz WAV (often two channels: caller and what the caller heard).  On the
first play we export an MP3 with ffmpeg into a cache directory, named after the
recording id and its sha256 so a replaced file never serves a stale copy.  ffmpeg runs as
a subprocess told the input is WAV and may open files only (``-protocol_whitelist
file``), killed at a time limit, at most two at once; nothing waits in the thread pool
call work uses.  Concurrent first plays of one recording share one export.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from pathlib import Path

from samad_ivr.audio.upload import UploadLimits, UploadRefused, run_limited

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


async def _export(source: Path, target: Path, limits: UploadLimits) -> None:
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        await run_limited(
            [limits.ffmpeg, "-nostdin", "-v", "error", "-protocol_whitelist", "file",
             "-f", "wav", "-i", f"file:{source}", "-vn", "-c:a", "libmp3lame",
             "-b:a", MP3_BITRATE, "-f", "mp3", "-y", f"file:{tmp}"],
            limits, max_stdout=0,
        )  # fmt: skip
        os.replace(tmp, target)  # atomic: readers see the whole file or none
    except UploadRefused as exc:
        raise TranscodeError(f"cannot transcode {source.name}: {exc}") from exc
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


class Transcoder:
    """Find or make the MP3 of a recording (one instance per web app)."""

    def __init__(self, recordings_dir: Path, cache_dir: Path | None = None) -> None:
        self._recordings_dir = recordings_dir
        self.cache_dir = cache_dir or recordings_dir / ".cache"
        self._pending: dict[Path, asyncio.Future[Path]] = {}
        # A 3-hour stereo call encodes in well under a minute; past that, ffmpeg is stuck.
        self._limits = UploadLimits(timeout_seconds=120.0)
        self._gate = asyncio.Semaphore(2)

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
            self.cache_dir.mkdir(parents=True, exist_ok=True)  # one stat once it exists
            if not source.is_file():
                raise TranscodeError(f"recording file is missing: {source.name}")
            async with self._gate:
                await _export(source, target, self._limits)
            future.set_result(target)
            log.info("recording %d transcoded to MP3", recording_id)
            return target
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # retrieved: nobody else may be waiting
            raise
        finally:
            del self._pending[target]
