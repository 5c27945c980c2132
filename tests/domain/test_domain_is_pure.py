from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

DOMAIN = Path(__file__).resolve().parents[2] / "samad_ivr" / "domain"
# Pure computation only: no I/O library may creep into the domain.
ALLOWED_THIRD_PARTY = frozenset({"phonenumbers", "persiantools"})
MODULES = sorted(DOMAIN.rglob("*.py"))


def imported_names(tree: ast.Module) -> list[str]:
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        # Relative imports (level > 0) stay inside the package by construction.
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module is not None:
            names.append(node.module)
    return names


def is_allowed(name: str) -> bool:
    top = name.partition(".")[0]
    if top == "samad_ivr":
        return name == "samad_ivr.domain" or name.startswith("samad_ivr.domain.")
    return top in sys.stdlib_module_names or top in ALLOWED_THIRD_PARTY or top == "__future__"


def test_the_domain_package_has_modules_to_check() -> None:
    assert len(MODULES) >= 6


@pytest.mark.parametrize("path", MODULES, ids=lambda path: path.name)
def test_domain_module_imports_only_stdlib_and_pure_libraries(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    forbidden = [name for name in imported_names(tree) if not is_allowed(name)]
    assert forbidden == [], f"{path.name} imports {forbidden}"


@pytest.mark.parametrize(
    ("name", "allowed"),
    [
        ("datetime", True),
        ("zoneinfo", True),
        ("phonenumbers", True),
        ("persiantools.jdatetime", True),
        ("samad_ivr.domain.errors", True),
        ("asyncpg", False),
        ("aiohttp.web", False),
        ("panoramisk", False),
        ("samad_ivr.storage", False),
        ("samad_ivr", False),
        ("samad_ivr.domainx", False),
    ],
)
def test_the_import_rule_itself(name: str, allowed: bool) -> None:
    assert is_allowed(name) is allowed
