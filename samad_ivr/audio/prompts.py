"""Generate the IVR's prompts from ``recordings/manifest.tsv``.

Each manifest line is ``name<TAB>text``. The text is Persian speech for espeak-ng, or one
of two directives: ``@tone:<hz>:<ms>`` (a sine tone such as the record beep) and
``@file:<path>`` (a human recording, relative to the manifest, that replaces the robotic
placeholder). Every prompt is written in the three formats Asterisk plays without
transcoding on our legs: ``.sln`` (8 kHz slin), ``.alaw`` (8 kHz G.711 A-law, what Iranian
E1 trunks carry) and ``.sln16`` (16 kHz, wideband SIP phones).

Everything here blocks; async callers use the ``*_async`` wrappers.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import re
import subprocess
import sys
import tempfile
import warnings
from array import array
from pathlib import Path

from pydub import AudioSegment
from pydub.effects import normalize
from pydub.silence import detect_leading_silence

with warnings.catch_warnings():
    # Deprecated since 3.11 (pydub depends on it too); silenced here because this module
    # is also run as __main__, where Python would print the warning to the CLI's user.
    warnings.simplefilter("ignore", DeprecationWarning)
    import audioop

__all__ = [
    "FORMATS",
    "ManifestError",
    "PromptError",
    "build_prompts",
    "build_prompts_async",
    "convert",
    "install_pcm16",
    "main",
    "read_manifest",
    "synthesize",
    "synthesize_async",
    "tone",
]

FORMATS = ("sln", "alaw", "sln16")
"""Extensions written for every prompt, in the order the returned paths use."""

_NAME_RE = re.compile(r"[a-z0-9][a-z0-9/_-]*")
_TONE_RE = re.compile(r"@tone:(\d{2,5}):(\d{1,5})")
_FILE_PREFIX = "@file:"
_ESPEAK_TIMEOUT_S = 60.0
_PEAK_HEADROOM_DB = 3.0
_SILENCE_DBFS = -45.0
# Before decimating to 8 kHz: audioop.ratecv does not filter, so cut what would alias.
_NARROWBAND_LOWPASS_HZ = 3400


class PromptError(Exception):
    """A prompt could not be read, synthesised or written."""


class ManifestError(PromptError, ValueError):
    """The manifest is malformed; the message names the file and line."""


def read_manifest(path: Path) -> dict[str, str]:
    """Parse ``name<TAB>text`` lines, skipping blanks and ``#`` comments, in file order."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise ManifestError(f"{path}: cannot read manifest: {exc}") from exc
    entries: dict[str, str] = {}
    first_seen: dict[str, int] = {}
    for lineno, raw in enumerate(lines, start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        where = f"{path}:{lineno}"
        name, sep, text = line.partition("\t")
        name, text = name.strip(), text.strip()
        if not sep or not text:
            raise ManifestError(f"{where}: expected 'name<TAB>text', got {raw!r}")
        _check_name(name, where)
        if name in first_seen:
            raise ManifestError(
                f"{where}: duplicate prompt {name!r} (first defined on line {first_seen[name]})"
            )
        if text.startswith("@"):
            _check_directive(text, where)
        first_seen[name] = lineno
        entries[name] = text
    return entries


def _check_name(name: str, where: str) -> None:
    if ".." in name or "//" in name or name.endswith("/"):
        raise ManifestError(f"{where}: prompt name {name!r} is not a plain relative path")
    if not _NAME_RE.fullmatch(name):
        raise ManifestError(
            f"{where}: bad prompt name {name!r} (allowed: lowercase a-z, 0-9, '/', '_', '-')"
        )


def _check_directive(text: str, where: str) -> None:
    if text.startswith(_FILE_PREFIX):
        target = text[len(_FILE_PREFIX) :]
        if not target or Path(target).is_absolute() or ".." in Path(target).parts:
            raise ManifestError(f"{where}: {text!r} must name a file below the manifest")
        return
    match = _TONE_RE.fullmatch(text)
    if match is None or not 20 <= int(match[1]) <= 3900 or not 1 <= int(match[2]) <= 10000:
        raise ManifestError(
            f"{where}: bad directive {text!r} (expected @tone:<20..3900 Hz>:<1..10000 ms>"
            " or @file:<path>)"
        )


def synthesize(text: str, out_base: Path) -> list[Path]:
    """Speak Persian ``text`` with espeak-ng and write ``out_base``.sln/.alaw/.sln16."""
    if not text.strip():
        raise PromptError(f"{out_base}: nothing to say")
    with tempfile.TemporaryDirectory(prefix="samad-tts-") as tmp:
        wav = Path(tmp) / "speech.wav"
        cmd = ["espeak-ng", "-v", "fa", "--stdin", "-w", str(wav)]
        try:
            proc = subprocess.run(
                cmd,
                input=text.encode("utf-8"),
                capture_output=True,
                timeout=_ESPEAK_TIMEOUT_S,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise PromptError(f"{out_base}: espeak-ng failed: {exc}") from exc
        if proc.returncode != 0 or not wav.is_file():
            stderr = proc.stderr.decode("utf-8", "replace").strip()
            raise PromptError(f"{out_base}: espeak-ng exited {proc.returncode}: {stderr}")
        return convert(wav, out_base)


def convert(source: Path, out_base: Path) -> list[Path]:
    """Turn any audio file pydub/ffmpeg can read into the three prompt formats.

    Mono, leading and trailing silence trimmed, peak normalised to about -3 dBFS.
    """
    try:
        # Our own handle: pydub leaves files it opened by name unclosed.
        with source.open("rb") as handle:
            segment = AudioSegment.from_file(handle, format=source.suffix[1:].lower() or None)
    except Exception as exc:  # pydub raises bare Exceptions and ffmpeg decode errors
        raise PromptError(f"{source}: cannot decode audio: {exc}") from exc
    return _install(segment, out_base, str(source))


def install_pcm16(pcm: bytes, out_base: Path) -> list[Path]:
    """Like `convert`, from 16 kHz mono s16le already decoded (uploads, see audio.upload)."""
    segment = AudioSegment(data=pcm, sample_width=2, frame_rate=16000, channels=1)
    return _install(segment, out_base, out_base.name)


def _install(segment: AudioSegment, out_base: Path, where: str) -> list[Path]:
    segment = segment.set_channels(1).set_sample_width(2)
    start = detect_leading_silence(segment, silence_threshold=_SILENCE_DBFS, chunk_size=5)
    end = detect_leading_silence(segment.reverse(), silence_threshold=_SILENCE_DBFS, chunk_size=5)
    if start + end >= len(segment):
        raise PromptError(f"{where}: audio is silent")
    segment = segment[start : len(segment) - end]
    narrow = segment
    if segment.frame_rate > 8000:
        narrow = segment.low_pass_filter(_NARROWBAND_LOWPASS_HZ)
    return _write_formats(out_base, _pcm(narrow, 8000), _pcm(segment, 16000))


def _pcm(segment: AudioSegment, rate: int) -> bytes:
    # Normalised per rate because filtering and resampling move the peak.
    resampled = normalize(segment.set_frame_rate(rate), headroom=_PEAK_HEADROOM_DB)
    return bytes(resampled.raw_data)  # pydub is untyped; keep Any out of our signatures


def tone(freq_hz: int, ms: int, out_base: Path) -> list[Path]:
    """Write a sine tone of exactly ``ms`` milliseconds (e.g. the record beep)."""
    if not 20 <= freq_hz <= 3900 or ms <= 0:
        raise PromptError(f"{out_base}: unsupported tone {freq_hz} Hz / {ms} ms")
    return _write_formats(out_base, _sine(freq_hz, ms, 8000), _sine(freq_hz, ms, 16000))


def _sine(freq_hz: int, ms: int, rate: int) -> bytes:
    count = rate * ms // 1000
    amplitude = 32767 * 10 ** (-_PEAK_HEADROOM_DB / 20)
    ramp = max(1, min(count // 2, rate * 5 // 1000))  # 5 ms fades: no clicks at the edges
    samples = array("h")
    for i in range(count):
        gain = min(1.0, (i + 1) / ramp, (count - i) / ramp)
        samples.append(round(amplitude * gain * math.sin(2 * math.pi * freq_hz * i / rate)))
    if sys.byteorder == "big":
        samples.byteswap()
    return samples.tobytes()


def _write_formats(out_base: Path, pcm8: bytes, pcm16: bytes) -> list[Path]:
    payloads = {"sln": pcm8, "alaw": audioop.lin2alaw(pcm8, 2), "sln16": pcm16}
    paths = []
    for ext in FORMATS:
        target = out_base.with_name(f"{out_base.name}.{ext}")
        _write_if_changed(target, payloads[ext])
        paths.append(target)
    return paths


def _write_if_changed(target: Path, data: bytes) -> None:
    """Replace atomically so Asterisk never plays half a file; keep mtimes when unchanged."""
    try:
        if target.read_bytes() == data:
            return
    except FileNotFoundError:
        pass
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def build_prompts(manifest: Path, out_dir: Path, *, only_missing: bool = False) -> list[str]:
    """Generate every manifest prompt into ``out_dir``; return the names (re)generated."""
    entries = read_manifest(manifest)
    built: list[str] = []
    for name, text in entries.items():
        out_base = out_dir / name
        if only_missing and all(
            out_base.with_name(f"{out_base.name}.{ext}").is_file() for ext in FORMATS
        ):
            continue
        match = _TONE_RE.fullmatch(text)
        if match is not None:
            tone(int(match[1]), int(match[2]), out_base)
        elif text.startswith(_FILE_PREFIX):
            convert(manifest.parent / text[len(_FILE_PREFIX) :], out_base)
        else:
            synthesize(text, out_base)
        built.append(name)
    return built


async def synthesize_async(text: str, out_base: Path) -> list[Path]:
    """:func:`synthesize` in a worker thread."""
    return await asyncio.to_thread(synthesize, text, out_base)


async def build_prompts_async(
    manifest: Path, out_dir: Path, *, only_missing: bool = False
) -> list[str]:
    """:func:`build_prompts` in a worker thread."""
    return await asyncio.to_thread(build_prompts, manifest, out_dir, only_missing=only_missing)


def main(argv: list[str] | None = None) -> int:
    """CLI: ``python -m samad_ivr.audio.prompts [--manifest M] [--out DIR] [--only-missing]``."""
    parser = argparse.ArgumentParser(
        prog="samad-ivr prompts", description="Generate IVR prompts from the manifest."
    )
    parser.add_argument("--manifest", type=Path, default=Path("recordings/manifest.tsv"))
    parser.add_argument("--out", type=Path, default=Path("recordings/fa"))
    parser.add_argument(
        "--only-missing", action="store_true", help="skip prompts whose files all exist"
    )
    args = parser.parse_args(argv)
    try:
        built = build_prompts(args.manifest, args.out, only_missing=args.only_missing)
    except PromptError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"generated {len(built)} prompt(s) into {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
