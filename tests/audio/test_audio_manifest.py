"""The prompt manifest: parsing rules and the committed manifest and recordings."""

# Persian text next to Latin names trips ruff's confusable-letter check; it is intended.

from __future__ import annotations

from pathlib import Path

import pytest

from samad_ivr.audio.prompts import FORMATS, ManifestError, read_manifest

ROOT = Path(__file__).resolve().parents[2]
MANIFEST = ROOT / "recordings" / "manifest.tsv"
RECORDINGS = ROOT / "recordings" / "fa"

ONES = [
    "صفر",
    "یک",
    "دو",
    "سه",
    "چهار",
    "پنج",
    "شش",
    "هفت",
    "هشت",
    "نه",
    "ده",
    "یازده",
    "دوازده",
    "سیزده",
    "چهارده",
    "پانزده",
    "شانزده",
    "هفده",
    "هجده",
    "نوزده",
    "بیست",
]
TENS = ["سی", "چهل", "پنجاه", "شصت", "هفتاد", "هشتاد", "نود"]
HUNDREDS = ["صد", "دویست", "سیصد", "چهارصد", "پانصد", "ششصد", "هفتصد", "هشتصد", "نهصد"]
MONTHS = [
    "فروردین",
    "اردیبهشت",
    "خرداد",
    "تیر",
    "مرداد",
    "شهریور",
    "مهر",
    "آبان",
    "آذر",
    "دی",
    "بهمن",
    "اسفند",
]
WEEKDAYS = ["دوشنبه", "سه\u200cشنبه", "چهارشنبه", "پنجشنبه", "جمعه", "شنبه", "یکشنبه"]

VOCABULARY = {
    **{f"digits/{n}": word for n, word in enumerate(ONES)},
    **{f"digits/{n}": word for n, word in zip(range(30, 100, 10), TENS, strict=True)},
    **{f"digits/{n}": word for n, word in zip(range(100, 1000, 100), HUNDREDS, strict=True)},
    "digits/1000": "هزار",
    "digits/and": "و",
    **{f"months/{n}": word for n, word in enumerate(MONTHS, start=1)},
    **{f"weekdays/{n}": word for n, word in enumerate(WEEKDAYS)},
    "time/hour": "ساعت",
    "time/minute": "دقیقه",
}

PROMPTS = [
    "greeting",
    "oncall-intro",
    "oncall-connecting",
    "official-generic",
    "deputy-connecting",
    "queue-intro",
    "queue-thereare",
    "queue-callswaiting",
    "queue-youarenext",
    "queue-thankyou",
    "queue-holdtime",
    "queue-minutes",
    "queue-seconds",
    "queue-reporthold",
    "queue-periodic-announce",
    "queue-timeout-message",
    "closed-intro",
    "closed-next-session",
    "closed-with",
    "closed-no-session",
    "message-intro",
    "message-too-short",
    "beep",
    "request-registered",
    "tracking-code-is",
    "tracking-code-sms",
    "goodbye",
    "fallback-apology",
]


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "manifest.tsv"
    path.write_text(text, encoding="utf-8")
    return path


def test_manifest_skips_comments_and_blank_lines_and_keeps_order(tmp_path: Path) -> None:
    path = write(tmp_path, "# header\n\nb-two\tدو\n  # indented comment\ndigits/1\tیک\n")
    assert list(read_manifest(path).items()) == [("b-two", "دو"), ("digits/1", "یک")]


def test_duplicate_name_is_reported_with_both_line_numbers(tmp_path: Path) -> None:
    path = write(tmp_path, "greeting\tسلام\n# c\ngreeting\tدرود\n")
    with pytest.raises(ManifestError, match=r"manifest\.tsv:3: duplicate .*line 1"):
        read_manifest(path)


@pytest.mark.parametrize("name", ["Greeting", "-dash", "with space", "fa/greeting.sln", "ß"])
def test_bad_prompt_name_is_rejected_with_its_line(tmp_path: Path, name: str) -> None:
    path = write(tmp_path, f"ok\tیک\n{name}\tدو\n")
    with pytest.raises(ManifestError, match=r":2: "):
        read_manifest(path)


@pytest.mark.parametrize("name", ["../etc/passwd", "digits/../../x", "/abs", "a//b", "dir/"])
def test_path_traversal_in_a_name_is_rejected(tmp_path: Path, name: str) -> None:
    with pytest.raises(ManifestError, match=r":1: "):
        read_manifest(write(tmp_path, f"{name}\tیک\n"))


@pytest.mark.parametrize(
    "line", ["no-tab-here", "empty\t", "beep\t@tone:1000", "beep\t@tone:9999:300", "x\t@file:../a"]
)
def test_malformed_line_or_directive_is_rejected(tmp_path: Path, line: str) -> None:
    with pytest.raises(ManifestError, match=r":1: "):
        read_manifest(write(tmp_path, line + "\n"))


def test_committed_manifest_has_every_prompt_and_the_beep_is_a_tone() -> None:
    entries = read_manifest(MANIFEST)
    assert set(PROMPTS) <= set(entries)
    assert entries["beep"] == "@tone:1000:300"


def test_committed_manifest_has_exactly_the_spoken_number_vocabulary() -> None:
    entries = read_manifest(MANIFEST)
    vocabulary = {
        name: text
        for name, text in entries.items()
        if name.split("/")[0] in {"digits", "months", "weekdays", "time"}
    }
    assert vocabulary == VOCABULARY


def test_every_manifest_prompt_is_generated_in_every_format() -> None:
    missing = [
        f"{name}.{ext}"
        for name in read_manifest(MANIFEST)
        for ext in FORMATS
        if not (RECORDINGS / f"{name}.{ext}").is_file()
    ]
    assert missing == []


@pytest.mark.parametrize("name", sorted(VOCABULARY))
def test_generated_vocabulary_formats_agree_on_length(name: str) -> None:
    sln = (RECORDINGS / f"{name}.sln").stat().st_size
    alaw = (RECORDINGS / f"{name}.alaw").stat().st_size
    sln16 = (RECORDINGS / f"{name}.sln16").stat().st_size
    assert sln > 0
    assert sln % 2 == 0
    assert alaw * 2 == sln
    assert abs(sln16 - 2 * sln) <= 8
