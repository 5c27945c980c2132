"""Uploaded prompts, decoded without trusting the upload (issue 15, item 3).

An admin's upload reached ffmpeg as "anything ffmpeg can open": an HLS playlist made it
fetch the uploader's URL and hang, a tiny file could decode to gigabytes, and the work ran
in the default thread pool that call work also uses.  Now:

- only the formats in `FORMATS` are accepted, by their magic bytes, and ffmpeg is told
  that demuxer (``-f``), so playlist, concat and other indirect demuxers never run;
  ffprobe must then name the same format;
- ffprobe and ffmpeg run as subprocesses with ``-protocol_whitelist file`` (no network,
  no pipes to other programs), each under a time limit after which its process group is
  killed;
- input size, probed duration and decoded output size are capped (a header that lies
  about the length still meets the output cap);
- at most `UploadLimits.concurrency` uploads decode at once, and the Python part (trim,
  normalise, resample) runs in this worker's own thread, never the loop's default pool.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import shutil
import signal
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from samad_ivr.audio.prompts import PromptError, install_pcm16

__all__ = [
    "FORMATS",
    "UploadLimits",
    "UploadRefused",
    "UploadWorker",
    "detect_format",
    "probe",
    "run_limited",
]

log = logging.getLogger(__name__)

RATE = 16000  # decoded to 16 kHz mono s16le; prompts.install_pcm16 makes every format


@dataclass(frozen=True, slots=True)
class AudioFormat:
    demuxer: str  # what ffmpeg/ffprobe are told with -f
    probe_name: str  # the format_name ffprobe must report


# Formats phones, recorders and browsers produce.
FORMATS: dict[str, AudioFormat] = {
    "wav": AudioFormat("wav", "wav"),
    "mp3": AudioFormat("mp3", "mp3"),
    "ogg": AudioFormat("ogg", "ogg"),
    "flac": AudioFormat("flac", "flac"),
    "m4a": AudioFormat("mov", "mov,mp4,m4a,3gp,3g2,mj2"),
    "amr": AudioFormat("amr", "amr"),
    "webm": AudioFormat("matroska", "matroska,webm"),
}


class UploadRefused(Exception):
    """The upload is not an acceptable prompt; the message says why (for the log)."""


@dataclass(frozen=True, slots=True)
class UploadLimits:
    max_input_bytes: int = 10 * 1024 * 1024
    max_seconds: int = 120  # a prompt is a name and a title, not a speech
    max_output_bytes: int = 120 * RATE * 2
    timeout_seconds: float = 20.0  # per subprocess
    concurrency: int = 2
    ffprobe: str = "ffprobe"
    ffmpeg: str = "ffmpeg"


def detect_format(data: bytes) -> str | None:
    """The `FORMATS` key the leading bytes belong to, or None."""
    head = data[:16]
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return "wav"
    if head[:3] == b"ID3" or (len(head) > 1 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0):
        return "mp3"
    if head[:4] == b"OggS":
        return "ogg"
    if head[:4] == b"fLaC":
        return "flac"
    if head[4:8] == b"ftyp":
        return "m4a"
    if head[:5] == b"#!AMR":
        return "amr"
    if head[:4] == b"\x1a\x45\xdf\xa3":
        return "webm"
    return None


async def run_limited(argv: list[str], limits: UploadLimits, *, max_stdout: int) -> bytes:
    """Run one tool; its stdout (at most `max_stdout` bytes) or `UploadRefused`."""
    proc = await asyncio.create_subprocess_exec(
        *argv, stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE, start_new_session=True,
    )  # fmt: skip

    async def stderr_head() -> bytes:
        # Read to the end so a chatty decoder never blocks on a full pipe; keep the start.
        assert proc.stderr is not None
        head = bytearray()
        while chunk := await proc.stderr.read(65536):
            head += chunk[: max(0, 4096 - len(head))]
        return bytes(head)

    async def collect() -> tuple[bytes, bytes]:
        assert proc.stdout is not None
        errors = asyncio.ensure_future(stderr_head())
        try:
            out = bytearray()
            while chunk := await proc.stdout.read(65536):
                out += chunk
                if len(out) > max_stdout:
                    raise UploadRefused("decoded audio is too long")
            err = await errors
        finally:
            errors.cancel()
        await proc.wait()
        return bytes(out), err

    try:
        out, err = await asyncio.wait_for(collect(), limits.timeout_seconds)
    except TimeoutError:
        raise UploadRefused(f"{Path(argv[0]).name} exceeded its time limit; killed") from None
    finally:
        if proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            await proc.wait()
    if proc.returncode != 0:
        raise UploadRefused(f"{Path(argv[0]).name} failed: {err.decode(errors='replace')[:300]}")
    return out


async def probe(source: Path, limits: UploadLimits, *, expected: str) -> float | None:
    """ffprobe `source` as demuxer `expected`; its duration in seconds (None: unknown)."""
    out = await run_limited(
        [limits.ffprobe, "-v", "error", "-protocol_whitelist", "file", "-f", expected,
         "-show_entries", "format=format_name,duration:stream=codec_type", "-of", "json",
         f"file:{source}"],
        limits, max_stdout=64 * 1024,
    )  # fmt: skip
    try:
        found = json.loads(out)
        name = str(found["format"]["format_name"])
        kinds = {str(s.get("codec_type")) for s in found.get("streams", [])}
        duration_text = found["format"].get("duration")
    except (ValueError, KeyError, TypeError, AttributeError):
        raise UploadRefused("ffprobe gave no usable answer") from None
    if name not in {f.probe_name for f in FORMATS.values()}:
        raise UploadRefused(f"not an accepted format: {name}")
    if "audio" not in kinds:
        raise UploadRefused("no audio stream")
    try:
        return float(duration_text) if duration_text is not None else None
    except ValueError:
        return None


class UploadWorker:
    """Decodes uploads with bounded concurrency and its own thread (one per web app)."""

    def __init__(self, limits: UploadLimits | None = None) -> None:
        self.limits = limits or UploadLimits()
        self._gate = asyncio.Semaphore(self.limits.concurrency)
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="samad-upload")

    def close(self) -> None:
        self._thread.shutdown(wait=False, cancel_futures=True)

    async def install(self, data: bytes, out_base: Path) -> None:
        """Decode `data` and write the prompt's files at `out_base`, or `UploadRefused`."""
        limits = self.limits
        if len(data) > limits.max_input_bytes:
            raise UploadRefused("upload is too large")
        kind = detect_format(data)
        if kind is None:
            raise UploadRefused("not an accepted audio format")
        fmt = FORMATS[kind]
        loop = asyncio.get_running_loop()
        async with self._gate:
            tmp = await loop.run_in_executor(self._thread, _stage, data)
            try:
                source = tmp / "upload"
                duration = await probe(source, limits, expected=fmt.demuxer)
                if duration is not None and duration > limits.max_seconds:
                    raise UploadRefused(f"audio is too long ({duration:.0f} s)")
                pcm = await run_limited(
                    [limits.ffmpeg, "-nostdin", "-v", "error", "-protocol_whitelist", "file",
                     "-f", fmt.demuxer, "-i", f"file:{source}", "-map", "0:a:0", "-vn", "-sn",
                     "-dn", "-ac", "1", "-ar", str(RATE), "-f", "s16le", "pipe:1"],
                    limits,
                    max_stdout=min(limits.max_output_bytes, limits.max_seconds * RATE * 2),
                )  # fmt: skip
            finally:
                await loop.run_in_executor(self._thread, shutil.rmtree, tmp, True)
        try:
            await loop.run_in_executor(self._thread, install_pcm16, pcm, out_base)
        except PromptError as exc:
            raise UploadRefused(str(exc)) from exc


def _stage(data: bytes) -> Path:
    """A private directory holding the upload, named without an extension."""
    tmp = Path(tempfile.mkdtemp(prefix="samad-upload-"))
    (tmp / "upload").write_bytes(data)
    return tmp
