"""Every prompt the shipped dialplan names exists in the manifest (and so on disk).

Background() ends the call when one of its files is missing, and it now plays the
greeting of every call: a typo there would hang up on every caller.
"""

from __future__ import annotations

import re
from pathlib import Path

from samad_ivr.audio.prompts import read_manifest

ROOT = Path(__file__).resolve().parents[2]
DIALPLAN = ROOT / "dialplan" / "extensions_samad.conf"
MANIFEST = ROOT / "recordings" / "manifest.tsv"

# The file argument of the applications that play prompts: Playback(x&y), Background(x&y,...),
# Read(var,x&y,...).  Names built from variables (${...}) are checked where they are built.
_PLAYS = re.compile(r"\b(?:Playback|Background)\(([^,)]*)|\bRead\([^,]*,([^,)]*)")


def named_prompts(text: str) -> set[str]:
    names: set[str] = set()
    for line in text.splitlines():
        code = line.split(";", 1)[0]
        for match in _PLAYS.finditer(code):
            files = match[1] if match[1] is not None else match[2]
            names |= {f for f in files.split("&") if f and "${" not in f}
    return names


def test_the_parser_finds_the_files_of_each_playing_application() -> None:
    text = (
        " same => n,Background(greeting&status-offer,m,,samad-status-key)\n"
        " same => n,Read(K,${MENU},1,,2,6)\n same => n,Read(K,notice-offer,1)\n"
        " same => n,ExecIf($[1]?Playback(status-limit-call)) ; Playback(commented)\n"
    )
    assert named_prompts(text) == {"greeting", "status-offer", "notice-offer", "status-limit-call"}


def test_every_prompt_named_in_the_dialplan_is_in_the_manifest() -> None:
    names = named_prompts(DIALPLAN.read_text(encoding="utf-8"))
    assert {"greeting", "status-offer", "status-enter-code", "goodbye"} <= names
    assert names - set(read_manifest(MANIFEST)) == set()
