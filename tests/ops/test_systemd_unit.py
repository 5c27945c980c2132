"""The shipped systemd unit is valid for systemd and as hardened as it claims."""

from __future__ import annotations

import configparser
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
UNIT = REPO / "scripts" / "systemd" / "samad-ivr.service"


def unit_for_this_machine(tmp_path: Path) -> Path:
    """The unit with ExecStart pointing at this checkout's venv (verify checks it)."""
    text = UNIT.read_text(encoding="utf-8")
    local = Path(sys.executable).with_name("samad-ivr")
    path = tmp_path / "samad-ivr.service"
    path.write_text(text.replace("/opt/samad-ivr/.venv/bin/samad-ivr", str(local)))
    return path


def analyze(*args: str) -> subprocess.CompletedProcess[str]:
    tool = shutil.which("systemd-analyze")
    if tool is None:
        pytest.fail("systemd-analyze is missing (scripts/bootstrap.sh installs systemd)")
    return subprocess.run([tool, *args], capture_output=True, text=True, timeout=60)


def test_systemd_analyze_verify_accepts_the_unit(tmp_path: Path) -> None:
    result = analyze("verify", str(unit_for_this_machine(tmp_path)))
    assert result.returncode == 0, result.stderr
    assert "samad-ivr.service" not in result.stderr, result.stderr  # no warnings either


def test_the_unit_restarts_always_and_is_watched_and_hardened(tmp_path: Path) -> None:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment, method-assign]
    parser.read_string(UNIT.read_text(encoding="utf-8"))
    service = parser["Service"]
    assert service["Type"] == "notify"
    assert service["Restart"] == "always"
    assert 0 < int(service["WatchdogSec"]) <= 30
    assert service["User"] == "samad-ivr"
    assert service["NoNewPrivileges"] == "yes"
    assert service["ProtectSystem"] == "strict"
    assert service["PrivateTmp"] == "yes"
    assert "/var/lib/samad-ivr" in service["ReadWritePaths"]
    result = analyze("security", "--offline=true", str(unit_for_this_machine(tmp_path)))
    found = re.search(r"Overall exposure level for samad-ivr\.service: ([0-9.]+)", result.stdout)
    assert found is not None, result.stdout[-2000:] + result.stderr
    assert float(found.group(1)) <= 2.0, result.stdout  # systemd calls < 2.0 "OK"
