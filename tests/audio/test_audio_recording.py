"""Post-processing of call recordings written by MixMonitor/Record."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import math
import struct
import wave
from array import array
from pathlib import Path

import pytest

from samad_ivr.audio.recording import (
    RecordingError,
    channel_rms,
    finalise_recording,
    inspect_recording,
    wait_until_finished,
)

RATE = 8000


def write_wav(path: Path, channels: list[list[int]], rate: int = RATE) -> bytes:
    """Write interleaved 16-bit PCM and return the file's bytes."""
    frames = array("h")
    for samples in zip(*channels, strict=True):
        frames.extend(samples)
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(len(channels))
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(frames.tobytes())
    return path.read_bytes()


def sine(seconds: float, freq: float = 440.0, amplitude: int = 16384) -> list[int]:
    count = round(seconds * RATE)
    return [round(amplitude * math.sin(2 * math.pi * freq * i / RATE)) for i in range(count)]


def test_inspect_recording_reports_hash_size_duration_and_format(tmp_path: Path) -> None:
    path = tmp_path / "call.wav"
    data = write_wav(path, [sine(2.5), [0] * 20000])

    info = inspect_recording(path)

    assert info.path == path
    assert info.size_bytes == len(data)
    assert info.sha256 == hashlib.sha256(data).hexdigest()
    assert info.duration_seconds == pytest.approx(2.5)
    assert (info.channels, info.sample_rate) == (2, RATE)


def test_header_never_finalised_falls_back_to_the_data_present(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "crashed.wav"
    data = bytearray(write_wav(path, [sine(1.0)]))
    data_size_at = data.index(b"data") + 4
    data[data_size_at : data_size_at + 4] = struct.pack("<I", 0)
    path.write_bytes(data)

    with caplog.at_level(logging.WARNING):
        info = inspect_recording(path)

    assert info.duration_seconds == pytest.approx(1.0)
    assert "claims 0 frames" in caplog.text


def test_missing_recording_raises_recording_error(tmp_path: Path) -> None:
    with pytest.raises(RecordingError, match="cannot stat"):
        inspect_recording(tmp_path / "nope.wav")


def test_empty_recording_raises_recording_error(tmp_path: Path) -> None:
    path = tmp_path / "empty.wav"
    path.touch()
    with pytest.raises(RecordingError, match="empty"):
        inspect_recording(path)


def test_recording_cut_inside_its_header_raises_recording_error(tmp_path: Path) -> None:
    path = tmp_path / "cut.wav"
    path.write_bytes(write_wav(path, [sine(0.5)])[:30])
    with pytest.raises(RecordingError):
        inspect_recording(path)


def test_garbage_file_raises_recording_error(tmp_path: Path) -> None:
    path = tmp_path / "garbage.wav"
    path.write_bytes(b"this is not audio at all\n" * 200)
    with pytest.raises(RecordingError):
        inspect_recording(path)


async def test_wait_until_finished_sees_the_marker_touched_later(tmp_path: Path) -> None:
    path, marker = tmp_path / "call.wav", tmp_path / "call.wav.done"
    write_wav(path, [sine(0.1)])

    async def mixmonitor_closes() -> None:
        await asyncio.sleep(0.05)
        marker.touch()

    task = asyncio.create_task(mixmonitor_closes())
    assert await wait_until_finished(path, marker, timeout=2.0, poll=0.01)
    await task


async def test_wait_until_finished_gives_up_after_the_timeout(tmp_path: Path) -> None:
    path = tmp_path / "call.wav"
    write_wav(path, [sine(0.1)])
    assert not await wait_until_finished(path, tmp_path / "never.done", timeout=0.05, poll=0.01)


async def test_marker_without_the_recording_is_not_finished(tmp_path: Path) -> None:
    marker = tmp_path / "gone.wav.done"
    marker.touch()
    assert not await wait_until_finished(tmp_path / "gone.wav", marker, timeout=0.03, poll=0.01)


async def test_finalise_recording_inspects_a_finished_recording(tmp_path: Path) -> None:
    path, marker = tmp_path / "call.wav", tmp_path / "call.wav.done"
    data = write_wav(path, [sine(0.75)])
    marker.touch()

    info = await finalise_recording(path, marker, timeout=1.0)

    assert info.sha256 == hashlib.sha256(data).hexdigest()
    assert info.duration_seconds == pytest.approx(0.75)


async def test_finalise_recording_still_inspects_after_a_timeout_and_logs_it(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "slow.wav"
    write_wav(path, [sine(0.5)])

    with caplog.at_level(logging.WARNING):
        info = await finalise_recording(path, tmp_path / "slow.wav.done", timeout=0.02)

    assert info.duration_seconds == pytest.approx(0.5)
    assert "no completion marker" in caplog.text


def test_channel_rms_shows_which_channel_carries_a_voice(tmp_path: Path) -> None:
    path = tmp_path / "mixmonitor.wav"
    write_wav(path, [[0] * 8000, sine(1.0, amplitude=16384)])

    caller, callee = channel_rms(path)

    assert caller == 0.0
    assert callee == pytest.approx(0.5 / math.sqrt(2), rel=0.01)


def test_channel_rms_of_a_mono_recording_has_one_value(tmp_path: Path) -> None:
    path = tmp_path / "mono.wav"
    write_wav(path, [sine(0.5, amplitude=8192)])
    assert channel_rms(path) == [pytest.approx(0.25 / math.sqrt(2), rel=0.01)]


def test_channel_rms_of_garbage_raises_recording_error(tmp_path: Path) -> None:
    path = tmp_path / "garbage.wav"
    path.write_bytes(b"RIFF nonsense")
    with pytest.raises(RecordingError):
        channel_rms(path)
