"""vosk and pydub, and nothing else here: a recording in, words with times per channel out.

The call recording keeps caller and hotline on separate channels (samad_ivr.audio.stereo),
so each channel gets its own recogniser and its own words.  Audio is read in blocks and
resampled with pydub to the model's rate (call audio is 8 kHz; vosk models are usually
16 kHz and refuse narrower input), so an hour-long recording never sits in memory whole.
Everything here blocks and burns CPU: it runs in the transcription worker's process.
"""

from __future__ import annotations

import json
import wave
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from samad_ivr.transcription.model_dir import ModelInfo, check_model

__all__ = [
    "ChannelTranscript",
    "FileTranscript",
    "TranscriptionError",
    "VoskTranscriber",
    "Word",
]

BLOCK_SECONDS = 20.0
Progress = Callable[[float, float], None]  # (seconds done, seconds in the file)


class TranscriptionError(Exception):
    """This file cannot be transcribed (not audio, truncated, empty); retrying won't help."""


@dataclass(frozen=True, slots=True)
class Word:
    word: str
    start: float
    end: float
    conf: float


@dataclass(frozen=True, slots=True)
class ChannelTranscript:
    channel: int  # 0 = what the caller said, 1 = what the caller heard
    words: tuple[Word, ...]

    @property
    def text(self) -> str:
        return " ".join(w.word for w in self.words)


@dataclass(frozen=True, slots=True)
class FileTranscript:
    channels: tuple[ChannelTranscript, ...]
    duration_seconds: float


class VoskTranscriber:
    """One vosk `Model` for the life of the process; one recogniser per channel per file."""

    def __init__(self, model_dir: Path, *, vocabulary: list[str] | None = None) -> None:
        import vosk

        self.info: ModelInfo = check_model(model_dir)
        vosk.SetLogLevel(-1)
        try:
            self._model: Any = vosk.Model(str(model_dir))
        except Exception as exc:  # vosk raises a bare Exception when Kaldi refuses a file
            raise TranscriptionError(f"vosk cannot load {model_dir}: {exc}") from exc
        self._vosk: Any = vosk
        # A grammar restricts models with a lookahead graph to these words (tests use it
        # to pin the decoder; a service never needs it).
        self._grammar = json.dumps(vocabulary, ensure_ascii=False) if vocabulary else None

    @property
    def name(self) -> str:
        return self.info.name

    def transcribe(self, path: Path, progress: Progress | None = None) -> FileTranscript:
        """Every channel of `path`, decoded separately, with word timings in seconds."""
        rate = self.info.sample_rate
        recognisers: list[Any] = []
        words: list[list[Word]] = []
        done = 0.0
        blocks, total = _audio_blocks(path)
        for block in blocks:
            channels = block.split_to_mono()
            if not recognisers:
                recognisers = [self._recogniser(rate) for _ in channels]
                words = [[] for _ in channels]
            for rec, out, mono in zip(recognisers, words, channels, strict=True):
                pcm = mono.set_frame_rate(rate).set_sample_width(2).raw_data
                if rec.AcceptWaveform(pcm):
                    out.extend(_words(rec.Result()))
            done += block.duration_seconds
            if progress is not None:
                progress(min(done, total), total)
        if not recognisers:
            raise TranscriptionError(f"{path.name} holds no audio")
        for rec, out in zip(recognisers, words, strict=True):
            out.extend(_words(rec.FinalResult()))
        return FileTranscript(
            channels=tuple(ChannelTranscript(i, tuple(w)) for i, w in enumerate(words)),
            duration_seconds=done,
        )

    def _recogniser(self, rate: int) -> Any:
        if self._grammar is None:
            rec = self._vosk.KaldiRecognizer(self._model, rate)
        else:
            rec = self._vosk.KaldiRecognizer(self._model, rate, self._grammar)
        rec.SetWords(True)
        return rec


def _words(result_json: str) -> list[Word]:
    result = json.loads(result_json).get("result", [])
    return [
        Word(str(w["word"]), float(w["start"]), float(w["end"]), float(w.get("conf", 1.0)))
        for w in result
        if w.get("word") and w["word"] != "[unk]"
    ]


def _audio_blocks(path: Path) -> tuple[Iterator[Any], float]:
    """Blocks of pydub `AudioSegment`s and the file's length in seconds."""
    from pydub import AudioSegment
    from pydub.exceptions import CouldntDecodeError

    try:
        reader = wave.open(str(path), "rb")  # noqa: SIM115 - closed by _wav_blocks
    except FileNotFoundError as exc:
        raise TranscriptionError(f"{path.name}: no such file") from exc
    except (wave.Error, EOFError, RuntimeError):
        # wave raises a bare RuntimeError for a chunk that runs past the file's end.
        # Not plain PCM WAV (a message converted by ffmpeg, a file given to the CLI).
        try:
            with path.open("rb") as handle:
                whole = AudioSegment.from_file(handle)
        except (CouldntDecodeError, IndexError, OSError) as exc:
            raise TranscriptionError(f"{path.name} is not audio pydub can read: {exc}") from exc
        step = int(BLOCK_SECONDS * 1000)
        return (whole[i : i + step] for i in range(0, len(whole), step)), whole.duration_seconds
    if reader.getsampwidth() != 2 or reader.getnchannels() not in (1, 2):
        reader.close()
        raise TranscriptionError(f"{path.name} is not 16-bit mono or stereo PCM")
    frames = reader.getnframes()
    rate = reader.getframerate()
    return _wav_blocks(reader, AudioSegment), frames / rate if rate else 0.0


def _wav_blocks(reader: wave.Wave_read, segment: Any) -> Iterator[Any]:
    with reader:
        width, channels, rate = reader.getsampwidth(), reader.getnchannels(), reader.getframerate()
        step = int(BLOCK_SECONDS * rate)
        while True:
            try:
                data = reader.readframes(step)
            except (wave.Error, EOFError, OSError) as exc:
                raise TranscriptionError(f"recording unreadable: {exc}") from exc
            usable = len(data) - len(data) % (width * channels)
            if usable <= 0:
                return
            yield segment(
                data=data[:usable], sample_width=width, frame_rate=rate, channels=channels
            )
