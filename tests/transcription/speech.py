"""Speech the tests make themselves: espeak-ng's Korean voice, as a call recording would be
(8 kHz, caller on channel 0 and the hotline on channel 1)."""

from __future__ import annotations

import subprocess
import wave
from array import array
from pathlib import Path

from pydub import AudioSegment

RATE = 8000


def say(text: str, path: Path, speed: int = 130) -> AudioSegment:
    subprocess.run(
        ["espeak-ng", "-v", "ko", "-s", str(speed), "-w", str(path), text],
        check=True,
        timeout=60,
    )
    with path.open("rb") as handle:
        return AudioSegment.from_wav(handle).set_channels(1).set_frame_rate(RATE)


def two_channel_call(caller: AudioSegment, hotline: AudioSegment, path: Path) -> Path:
    """A recording as MixMonitor's D option leaves it once relabelled as stereo."""
    left = array("h", caller.set_sample_width(2).raw_data)
    right = array("h", hotline.set_sample_width(2).raw_data)
    # The hotline answers after the caller has spoken, as in a real call.
    frames = len(left) + len(right) + RATE // 2
    left.extend([0] * (frames - len(left)))
    right = array("h", [0] * (frames - len(right))) + right
    interleaved = array("h", [0] * (2 * frames))
    interleaved[0::2] = left
    interleaved[1::2] = right
    with wave.open(str(path), "wb") as out:
        out.setnchannels(2)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes(interleaved.tobytes())
    return path


def edit_distance(a: list[str] | str, b: list[str] | str) -> int:
    previous = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        current = [i]
        for j, y in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (x != y)))
        previous = current
    return previous[-1]


def character_error_rate(reference: str, hypothesis: str) -> float:
    """Syllable-level error rate, the usual measure for Korean (spacing is not scored)."""
    ref, hyp = reference.replace(" ", ""), hypothesis.replace(" ", "")
    return edit_distance(ref, hyp) / len(ref)
