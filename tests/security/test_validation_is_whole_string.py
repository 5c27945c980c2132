"""Validation patterns match the whole value (issue 15, item 8).

`re.match(r"^...$")` accepts a trailing newline (`$` matches before it), and a newline in
a unique id, a file name, a dial string or an AGI value is exactly what an attacker needs.
Every validation pattern is used with `fullmatch`, so none is written anchored.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SOURCES = [*sorted((ROOT / "samad_ivr").rglob("*.py")), *sorted((ROOT / "agi").glob("*.py"))]


def anchored_patterns() -> list[str]:
    found = []
    for path in SOURCES:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in {"compile", "match"}
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id == "re"
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(pattern := node.args[0].value, str)
                and pattern.endswith("$")
                and not pattern.endswith("\\$")
                and (pattern.startswith("^") or node.func.attr == "match")
            ):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno}: {pattern}")
    return found


def test_no_validation_pattern_relies_on_dollar_that_passes_a_trailing_newline() -> None:
    assert anchored_patterns() == []
