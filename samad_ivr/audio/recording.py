"""Post-processing of finished call recordings.

Asterisk's MixMonitor/Record write 8 kHz WAV files. MixMonitor may write two interleaved
channels: 0 is what the caller said, 1 is what the caller heard. The dialplan makes
MixMonitor run ``touch <file>.done`` after it has closed the file, which is the only
reliable sign that the WAV header holds its final sizes.

The synchronous functions block (hashing, reading audio); async callers use
:func:`finalise_recording` or run them with :func:`asyncio.to_thread`.
"""

from __future__ import annotations

import asyncio
import audioop
import hashlib
import json
import logging
import math
import subprocess
import sys
import wave
from array import array
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "RecordingError",
    "RecordingInfo",
    "channel_rms",
    "finalise_recording",
    "inspect_recording",
    "wait_until_finished",
]

logger = logging.getLogger(__name__)

_FFPROBE_TIMEOUT_S = 30.0
_FRAMES_PER_READ = 64 * 1024


class RecordingError(Exception):
    """A recording is missing, empty or not audio we can read."""


@dataclass(frozen=True, slots=True)
class RecordingInfo:
    path: Path
    size_bytes: int
    sha256: str
    duration_seconds: float
    channels: int
    sample_rate: int


def inspect_recording(path: Path) -> RecordingInfo:
    """Hash ``path`` (streamed) and read its duration and format from the WAV header.

    A header that was never finalised (Asterisk stopped before closing the file) is
    tolerated: the duration then comes from the audio data actually present.
    """
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise RecordingError(f"{path}: cannot stat recording: {exc}") from exc
    if size == 0:
        raise RecordingError(f"{path}: recording is empty")
    try:
        channels, rate, duration = _wav_format(path, size)
    except (wave.Error, EOFError) as exc:
        logger.debug("%s: not plain PCM WAV (%s); asking ffprobe", path, exc)
        channels, rate, duration = _ffprobe_format(path)
    try:
        with path.open("rb") as handle:
            digest = hashlib.file_digest(handle, "sha256").hexdigest()
    except OSError as exc:
        raise RecordingError(f"{path}: cannot read recording: {exc}") from exc
    return RecordingInfo(
        path=path,
        size_bytes=size,
        sha256=digest,
        duration_seconds=duration,
        channels=channels,
        sample_rate=rate,
    )


def _wav_format(path: Path, size: int) -> tuple[int, int, float]:
    with path.open("rb") as handle, wave.open(handle, "rb") as wav:
        channels, width, rate = wav.getnchannels(), wav.getsampwidth(), wav.getframerate()
        claimed = wav.getnframes()
        # wave stops right after the data chunk header, so this is where samples start.
        data_start = handle.tell()
    if channels < 1 or width < 1 or rate < 1:
        raise RecordingError(f"{path}: implausible WAV header ({channels} ch, {rate} Hz)")
    present = max(0, size - data_start) // (channels * width)
    frames = claimed
    if claimed == 0 or claimed > present:
        logger.warning(
            "%s: WAV header claims %d frames but %d are present; using what is there",
            path,
            claimed,
            present,
        )
        frames = present
    return channels, rate, frames / rate


def _ffprobe_format(path: Path) -> tuple[int, int, float]:
    cmd = [
        "ffprobe",
        "-v",
        "error",
        "-select_streams",
        "a:0",
        "-show_entries",
        "stream=channels,sample_rate:format=duration",
        "-of",
        "json",
        "--",
        str(path),
    ]
    try:
        proc = subprocess.run(
            cmd, capture_output=True, timeout=_FFPROBE_TIMEOUT_S, check=False, text=True
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise RecordingError(f"{path}: not a readable WAV and ffprobe failed: {exc}") from exc
    if proc.returncode != 0:
        raise RecordingError(f"{path}: not a readable audio file: {proc.stderr.strip()}")
    try:
        probed = json.loads(proc.stdout)
        stream = probed["streams"][0]
        channels = int(stream["channels"])
        rate = int(stream["sample_rate"])
        duration = float(probed["format"]["duration"])
    except (ValueError, KeyError, IndexError, TypeError) as exc:
        raise RecordingError(f"{path}: no audio stream found") from exc
    if channels < 1 or rate < 1 or not math.isfinite(duration) or duration < 0:
        raise RecordingError(f"{path}: implausible audio format ({channels} ch, {rate} Hz)")
    return channels, rate, duration


# ASYNC109: a timeout here is a verdict (False: inspect what is there), not an error, so
# the deadline is a parameter rather than the caller's asyncio.timeout().
async def wait_until_finished(
    path: Path,
    done_marker: Path,
    *,
    timeout: float,
    poll: float = 0.2,
) -> bool:
    """Wait for MixMonitor's ``done_marker``; True once it and ``path`` exist, else False."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        # stat() can stall on a network share holding the recordings: keep it off the loop.
        if await asyncio.to_thread(_both_exist, path, done_marker):
            return True
        remaining = deadline - loop.time()
        if remaining <= 0:
            return False
        await asyncio.sleep(min(poll, remaining))


def _both_exist(path: Path, done_marker: Path) -> bool:
    return done_marker.exists() and path.exists()


async def finalise_recording(
    path: Path,
    done_marker: Path,
    timeout: float,
) -> RecordingInfo:
    """Wait for the recording to be closed, then inspect it in a worker thread.

    After a timeout whatever is on disk is still inspected (and the timeout logged), so a
    citizen's message is not lost because Asterisk was slow to run the marker command.
    """
    if not await wait_until_finished(path, done_marker, timeout=timeout):
        logger.warning(
            "%s: no completion marker after %.1f s; inspecting the file as it is",
            path,
            timeout,
        )
    return await asyncio.to_thread(inspect_recording, path)


def channel_rms(path: Path, start: float = 0.0, end: float | None = None) -> list[float]:
    """RMS of each channel of a PCM WAV, relative to full scale (0.0 silence .. 1.0),
    over the seconds `start`..`end` (the whole file by default)."""
    try:
        with path.open("rb") as handle, wave.open(handle, "rb") as wav:
            channels, width = wav.getnchannels(), wav.getsampwidth()
            if width not in (1, 2, 3, 4):
                raise RecordingError(f"{path}: unsupported sample width {width}")
            rate, total = wav.getframerate(), wav.getnframes()
            first = min(total, max(0, int(start * rate)))
            left = total - first if end is None else max(0, min(total, int(end * rate)) - first)
            wav.setpos(first)
            sums = [0.0] * channels
            count = 0
            while left > 0 and (chunk := wav.readframes(min(_FRAMES_PER_READ, left))):
                samples = _to_int16(chunk, width)
                frames = len(samples) // channels
                count += frames
                left -= frames
                for channel in range(channels):
                    mono = samples[channel::channels].tobytes()
                    sums[channel] += float(audioop.rms(mono, 2)) ** 2 * (len(mono) // 2)
    except (OSError, wave.Error, EOFError) as exc:
        raise RecordingError(f"{path}: cannot read PCM WAV: {exc}") from exc
    if count == 0:
        return [0.0] * channels
    return [math.sqrt(total / count) / 32768.0 for total in sums]


def _to_int16(chunk: bytes, width: int) -> array[int]:
    if width == 1:
        chunk = audioop.bias(chunk, 1, -128)  # 8-bit WAV is unsigned
    if width != 2:
        chunk = audioop.lin2lin(chunk, width, 2)
    samples = array("h")
    samples.frombytes(chunk[: len(chunk) - len(chunk) % 2])
    if sys.byteorder == "big":
        samples.byteswap()
    return samples
