"""A1: recording post-processing against ffmpeg/sox called directly on the same file.

Each step runs in a fresh subprocess so its peak memory (ru_maxrss) is its own.  Ours:
``inspect_recording`` (sha256 + WAV header) as the finaliser runs it, and a pydub
normalise + 8 kHz mono transcode (what an audio/ helper would do; there is none yet).
Baselines: ``sha256sum`` + ``soxi`` for inspection, one ``sox ... norm`` for the transcode.
"""

from __future__ import annotations

import json
import math
import resource
import struct
import subprocess
import sys
import tempfile
import time
import wave
from pathlib import Path
from typing import Any

from benchmarks.harness import PYTHON, REPO

RATE = 8000

_CHILD = r"""
import json, resource, sys, time
from pathlib import Path
step, src, dst = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
if step == "inspect":
    from samad_ivr.audio.recording import inspect_recording
    t = time.perf_counter(); inspect_recording(src); elapsed = time.perf_counter() - t
else:
    import warnings
    warnings.simplefilter("ignore", DeprecationWarning)
    from pydub import AudioSegment, effects
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t = time.perf_counter()
    effects.normalize(AudioSegment.from_wav(src)).set_channels(1).export(dst, format="wav")
    elapsed = time.perf_counter() - t
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"elapsed": elapsed, "peak_kb": peak, "base_kb": base}))
"""


def write_recording(path: Path, seconds: int) -> None:
    """A stereo 8 kHz 16-bit WAV like MixMonitor's (D): a tone on each channel."""
    frames = bytearray()
    for i in range(RATE):
        left = int(8000 * math.sin(2 * math.pi * 440 * i / RATE))
        right = int(4000 * math.sin(2 * math.pi * 300 * i / RATE))
        frames += struct.pack("<hh", left, right)
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(2)
        wav.setsampwidth(2)
        wav.setframerate(RATE)
        for _ in range(seconds):
            wav.writeframes(bytes(frames))


def _ours(step: str, src: Path, dst: Path) -> dict[str, Any]:
    proc = subprocess.run(
        [PYTHON, "-c", _CHILD, step, str(src), str(dst)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def _direct(commands: list[list[str]]) -> tuple[float, float]:
    """Wall time of the commands run one after the other, and their peak RSS in MB."""
    peak = 0
    started = time.perf_counter()
    for cmd in commands:
        before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        subprocess.run(cmd, capture_output=True, timeout=300, check=True)
        peak = max(peak, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, before)
    return time.perf_counter() - started, peak / 1024


def a1_postprocessing(quick: bool) -> dict[str, Any]:
    seconds = 20 if quick else 600
    runs = 1 if quick else 3
    with tempfile.TemporaryDirectory(prefix="samad-a1-") as tmp:
        src, dst, sox_dst = Path(tmp, "call.wav"), Path(tmp, "out.wav"), Path(tmp, "sox.wav")
        write_recording(src, seconds)
        raw_mb = src.stat().st_size / 2**20
        items = []
        for what, step, commands, name in (
            (
                "inspect (sha256 + WAV header)",
                "inspect",
                [["sha256sum", str(src)], ["soxi", str(src)]],
                "sha256sum + soxi",
            ),
            (
                "normalise + mono transcode (pydub)",
                "transcode",
                [["sox", str(src), str(sox_dst), "remix", "1,2", "norm"]],
                "sox norm",
            ),
        ):
            ours = [_ours(step, src, dst) for _ in range(runs)]
            direct = [_direct(commands) for _ in range(runs)]
            ours_time = sorted(r["elapsed"] for r in ours)[runs // 2]
            items.append(
                {
                    "what": what,
                    "ours_s": ours_time,
                    "ours_peak_mb": max(r["peak_kb"] for r in ours) / 1024,
                    "ours_extra_peak_mb": max(r["peak_kb"] - r["base_kb"] for r in ours) / 1024,
                    "baseline_name": name,
                    "baseline_s": sorted(d[0] for d in direct)[runs // 2],
                    "baseline_peak_mb": max(d[1] for d in direct),
                }
            )
    return {
        "recording_seconds": seconds,
        "raw_audio_mb": raw_mb,
        "items": items,
        "python": sys.version.split()[0],
    }
