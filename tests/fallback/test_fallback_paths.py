"""The classic AGI fallback records only the file the dialplan names for the call."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "agi" / "samad_fallback.py"


def load_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("samad_fallback_under_test", SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    saved = list(sys.path)
    try:
        spec.loader.exec_module(module)
    finally:
        sys.path[:] = saved
    return module


class FakeAgi:
    def __init__(self, uniqueid: str, variables: dict[str, str]) -> None:
        self.env = {"agi_uniqueid": uniqueid}
        self.variables = variables
        self.executed: list[tuple[object, ...]] = []

    def get_full_variable(self, expression: str) -> str:
        return self.variables.get(expression[2:-1], "")

    def stream_file(self, name: str) -> None:
        self.executed.append(("STREAM", name))

    def execute(self, *args: object) -> None:
        self.executed.append(args)


def test_the_calls_own_message_file_is_recorded() -> None:
    agi = FakeAgi("1.2", {"SAMAD_RECDIR": "/rec", "SAMAD_MESSAGE": "1.2-message.wav"})
    load_script().record_message(agi)
    assert ("RECORD FILE", "/rec/1.2-message", "wav", "#", 180000, 0, "BEEP", "s=3") in (
        agi.executed
    )


@pytest.mark.parametrize(
    ("uniqueid", "message"),
    [("1.2", "1.3-message.wav"), ("1.2", "1.2.wav"), ("1.2\n", "1.2\n-message.wav")],
)
def test_a_message_file_named_for_anything_else_is_never_written(
    uniqueid: str, message: str
) -> None:
    agi = FakeAgi(uniqueid, {"SAMAD_RECDIR": "/rec", "SAMAD_MESSAGE": message})
    load_script().record_message(agi)
    assert agi.executed == []
