"""Repair the header of MixMonitor's two-channel recordings.

MixMonitor's D option interleaves the audio from the caller and the audio to the caller
sample by sample, but Asterisk 22's WAV writer still labels the file mono at 8 kHz, so
players would hear it at double length.  We relabel it as the stereo file it is before
the recording is hashed; the audio bytes are not touched.
"""

from __future__ import annotations

import struct
from pathlib import Path

_FMT_LAYOUT = struct.Struct("<HHIIHH")  # format, channels, rate, byte rate, align, bits


class WavHeaderError(ValueError):
    """The file is not a PCM WAV file we can relabel."""


def relabel_interleaved_stereo(path: Path) -> bool:
    """Mark a D-option MixMonitor WAV as 2 channels; False when it already is."""
    with path.open("r+b") as handle:
        riff = handle.read(12)
        if len(riff) != 12 or riff[:4] != b"RIFF" or riff[8:12] != b"WAVE":
            raise WavHeaderError(f"{path.name} is not a WAV file")
        while True:
            chunk = handle.read(8)
            if len(chunk) != 8:
                raise WavHeaderError(f"{path.name} has no fmt chunk")
            chunk_id, size = chunk[:4], struct.unpack("<I", chunk[4:])[0]
            if chunk_id == b"fmt ":
                break
            handle.seek(size + (size & 1), 1)
        offset = handle.tell()
        fields = handle.read(_FMT_LAYOUT.size)
        if len(fields) != _FMT_LAYOUT.size:
            raise WavHeaderError(f"{path.name} has a truncated fmt chunk")
        audio_format, channels, rate, _byte_rate, _align, bits = _FMT_LAYOUT.unpack(fields)
        if audio_format != 1 or bits != 16:
            raise WavHeaderError(f"{path.name} is not 16-bit PCM")
        if channels == 2:
            return False
        handle.seek(offset)
        handle.write(_FMT_LAYOUT.pack(1, 2, rate, rate * 4, 4, 16))
        return True
