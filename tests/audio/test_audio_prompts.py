"""Prompt synthesis with the real espeak-ng and pydub."""

# Persian text next to Latin names trips ruff's confusable-letter check; it is intended.

from __future__ import annotations

import audioop
import math
import wave
from array import array
from pathlib import Path

import pytest

from samad_ivr.audio.prompts import (
    FORMATS,
    PromptError,
    build_prompts,
    main,
    synthesize,
    synthesize_async,
    tone,
)


def peak_dbfs(pcm: bytes) -> float:
    return 20 * math.log10(audioop.max(pcm, 2) / 32768)


def sizes(base: Path) -> dict[str, int]:
    return {ext: base.with_name(f"{base.name}.{ext}").stat().st_size for ext in FORMATS}


def test_synthesize_writes_slin_alaw_and_slin16_of_one_duration(tmp_path: Path) -> None:
    paths = synthesize("درخواست شما ثبت شد.", tmp_path / "sub" / "registered")

    assert [p.name for p in paths] == [
        "registered.sln",
        "registered.alaw",
        "registered.sln16",
    ]
    got = sizes(tmp_path / "sub" / "registered")
    duration = got["sln16"] / (2 * 16000)
    assert 0.5 < duration < 5
    assert got["sln"] == pytest.approx(2 * 8000 * duration, abs=4)
    assert got["alaw"] == got["sln"] // 2
    sln = paths[0].read_bytes()
    assert peak_dbfs(sln) == pytest.approx(-3, abs=0.5)
    assert peak_dbfs(paths[2].read_bytes()) == pytest.approx(-3, abs=0.5)
    # A-law is the same signal, just companded.
    assert audioop.rms(audioop.alaw2lin(paths[1].read_bytes(), 2), 2) == pytest.approx(
        audioop.rms(sln, 2), rel=0.05
    )


def test_synthesize_trims_leading_and_trailing_silence(tmp_path: Path) -> None:
    (sln, _, _) = synthesize("یک", tmp_path / "one")
    pcm = sln.read_bytes()
    edge = 2 * 8000 // 100  # 10 ms of 16-bit samples
    # espeak pads "یک" to 0.6 s; the spoken word is about half that.
    assert len(pcm) / (2 * 8000) < 0.45
    assert peak_dbfs(pcm[:edge]) > -40
    assert peak_dbfs(pcm[-edge:]) > -40


def test_synthesize_refuses_empty_text(tmp_path: Path) -> None:
    with pytest.raises(PromptError):
        synthesize("  ", tmp_path / "empty")


async def test_synthesize_async_runs_the_same_synthesis(tmp_path: Path) -> None:
    paths = await synthesize_async("دو", tmp_path / "two")
    assert all(p.stat().st_size > 0 for p in paths)


def test_tone_has_exactly_the_requested_length(tmp_path: Path) -> None:
    tone(1000, 300, tmp_path / "beep")
    assert sizes(tmp_path / "beep") == {"sln": 4800, "alaw": 2400, "sln16": 9600}
    pcm = (tmp_path / "beep.sln").read_bytes()
    assert peak_dbfs(pcm) == pytest.approx(-3, abs=0.2)
    # 1 kHz at 8 kHz: 2000 zero crossings a second, 600 in 300 ms.
    assert audioop.cross(pcm, 2) == pytest.approx(600, abs=4)


def test_build_prompts_is_deterministic_and_only_missing_skips_done_work(
    tmp_path: Path,
) -> None:
    manifest = tmp_path / "manifest.tsv"
    manifest.write_text(
        "# test\ngoodbye\tخدانگهدار\ndigits/7\tهفت\nbeep\t@tone:1000:300\n", encoding="utf-8"
    )
    first, second = tmp_path / "a", tmp_path / "b"

    assert build_prompts(manifest, first) == ["goodbye", "digits/7", "beep"]
    assert build_prompts(manifest, second) == ["goodbye", "digits/7", "beep"]
    for name in ("goodbye", "digits/7", "beep"):
        for ext in FORMATS:
            relative = f"{name}.{ext}"
            assert (first / relative).read_bytes() == (second / relative).read_bytes(), relative

    (first / "digits" / "7.alaw").unlink()
    assert build_prompts(manifest, first, only_missing=True) == ["digits/7"]


def test_build_prompts_converts_a_human_recording_named_with_at_file(tmp_path: Path) -> None:
    source = tmp_path / "human" / "hello.wav"
    source.parent.mkdir()
    with wave.open(str(source), "wb") as wav:
        wav.setnchannels(2)
        wav.setsampwidth(2)
        wav.setframerate(44100)
        frames = array("h")
        for i in range(44100):
            value = round(8000 * math.sin(2 * math.pi * 440 * i / 44100))
            frames.extend((value, value))
        wav.writeframes(frames.tobytes())
    manifest = tmp_path / "manifest.tsv"
    manifest.write_text("hello\t@file:human/hello.wav\n", encoding="utf-8")

    assert build_prompts(manifest, tmp_path / "out") == ["hello"]
    assert sizes(tmp_path / "out" / "hello")["sln"] == pytest.approx(16000, abs=200)


def test_cli_generates_prompts_and_reports_a_bad_manifest(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    manifest = tmp_path / "manifest.tsv"
    manifest.write_text("beep\t@tone:1000:300\n", encoding="utf-8")
    assert main(["--manifest", str(manifest), "--out", str(tmp_path / "fa")]) == 0
    assert (tmp_path / "fa" / "beep.sln16").is_file()

    manifest.write_text("Bad Name\tیک\n", encoding="utf-8")
    assert main(["--manifest", str(manifest), "--out", str(tmp_path / "fa")]) == 1
    assert "manifest.tsv:1" in capsys.readouterr().err
