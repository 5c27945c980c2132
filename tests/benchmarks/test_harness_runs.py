"""The benchmark harness runs end to end on a tiny load (no timing is asserted)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]


def _run_quick(tmp_path: Path, only: str) -> dict[str, object]:
    out = tmp_path / "quick.json"
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--quick", "--only", only, "--out", str(out)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    data = json.loads(out.read_text())
    assert isinstance(data, dict)
    return data


def test_load_generator_completes_against_b0_and_our_layer_and_writes_json(
    tmp_path: Path,
) -> None:
    data = _run_quick(tmp_path, "F5")
    f5 = data["figures"]["F5"]  # type: ignore[index]
    for kind in ("b0", "ours"):
        assert f5[kind]["hangups_injected"] >= 0
    assert data["quick"] is True
    assert isinstance(data["table"], list)
    assert data["machine"]["nproc"] >= 1  # type: ignore[index]


def test_session_rate_figure_runs_on_a_tiny_load(tmp_path: Path) -> None:
    data = _run_quick(tmp_path, "F1")
    f1 = data["figures"]["F1"]  # type: ignore[index]
    for kind in ("b0", "b1", "b2", "ours", "inbound"):
        assert f1[kind]["runs"], kind


def test_web_api_figure_runs_on_a_tiny_database(tmp_path: Path) -> None:
    data = _run_quick(tmp_path, "W1")
    w1 = data["figures"]["W1"]  # type: ignore[index]
    for query in ("list", "search_center_day", "search_caller"):
        for app in ("ours", "bare"):
            assert w1[query][app]["errors"] == 0, (query, app)
            assert w1[query][app]["rps"] > 0, (query, app)
    assert any(row["figure"] == "W1" for row in data["table"])  # type: ignore[union-attr]


def test_lifecycle_figure_runs_on_a_tiny_database(tmp_path: Path) -> None:
    data = _run_quick(tmp_path, "L1")
    l1 = data["figures"]["L1"]  # type: ignore[index]
    assert l1["sizes"]["requests"] == 3_000
    for case in ("queue_overdue", "queue_open", "agency_list", "agency_overdue"):
        for app in ("ours", "bare"):
            assert l1["lists"][case][app]["errors"] == 0, (case, app)
    # The generated deadlines agree with the product's own recomputation.
    assert l1["recompute"]["reconcile_moved"] == 0
    assert l1["jobs"]["first"]["escalated"] > 0
    assert all(r["escalated"] > 0 for r in l1["jobs"]["daily"]["rounds"])
    assert l1["jobs"]["second"]["escalated"] + l1["jobs"]["second"]["reminded"] == 0
    assert any(row["figure"] == "L1" for row in data["table"])  # type: ignore[union-attr]


def test_five_year_search_figure_runs_on_a_tiny_database(tmp_path: Path) -> None:
    data = _run_quick(tmp_path, "W2")
    w2 = data["figures"]["W2"]  # type: ignore[index]
    assert w2["calls"] == 3_000
    for case in ("list", "province_month", "tracking_code", "caller", "status_escalated"):
        for app in ("ours", "bare"):
            assert w2[case][app]["errors"] == 0, (case, app)
    assert w2["province_month_html"]["ours"]["errors"] == 0
    assert w2["overdue"]["ours"]["errors"] == 0  # the search's "overdue now" filter
    assert any(row["figure"] == "W2" for row in data["table"])  # type: ignore[union-attr]


def _run_with_faults(
    tmp_path: Path, only: str, faults: str, *extra: str
) -> tuple[subprocess.CompletedProcess[str], dict[str, Any]]:
    out = tmp_path / "faults.json"
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--quick", "--only", only, "--out", str(out),
         *extra],
        cwd=REPO,
        env={**os.environ, "SAMAD_BENCH_FAULTS": faults},
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )  # fmt: skip
    data: dict[str, Any] = json.loads(out.read_text())
    return proc, data


def test_a_hanging_baseline_and_a_hung_figure_are_reported_and_the_suite_goes_on(
    tmp_path: Path,
) -> None:
    proc, data = _run_with_faults(tmp_path, "F3,F4,F5", "F3.b2=hang,F4=hang", "--timeout", "F4=5")
    figures = data["figures"]
    # B2 accepts sessions and never answers: its F3 entry says so, ours is still judged.
    assert figures["F3"]["b2"]["error"] == "B2 completed 0 of 50 warm-up sessions within 8 s"
    assert figures["F3"]["ours"]["parked"] == 50
    f3_rows = [r for r in data["table"] if r["figure"] == "F3"]
    assert f3_rows[0]["pass"] is True
    assert f3_rows[0]["baseline_error"]
    # F4 hangs as a whole: killed after its 5 s with the server it had started.
    assert "no result within 5 s" in figures["F4"]["error"]
    assert figures["F4"]["killed_processes"] >= 2
    pid = int(re.search(r"hangs with server pid (\d+)", proc.stderr).group(1))  # type: ignore[union-attr]
    assert not Path(f"/proc/{pid}").exists() or "Z" in Path(f"/proc/{pid}/stat").read_text()
    # The suite went on to F5 and wrote the table; our figure F4 failed, so exit status 1.
    assert figures["F5"]["ours"]["leaked_tasks"] == 0
    assert any(r["figure"] == "F4" and r.get("failed") for r in data["table"])
    assert proc.returncode == 1, proc.stderr[-3000:]
    assert "FAILED F4" in proc.stderr


def test_a_crashed_baseline_alone_does_not_fail_the_run(tmp_path: Path) -> None:
    proc, data = _run_with_faults(tmp_path, "F5", "b2=crash")
    b2 = data["figures"]["F5"]["b2"]
    assert b2["error"].startswith("B2 exited with status 3"), b2
    assert data["figures"]["F5"]["ours"]["failed"] == 0
    noted = [r for r in data["table"] if r["figure"] == "F5" and r.get("note") == b2["error"]]
    assert noted
    assert noted[0]["pass"] is None
    assert proc.returncode == 0, proc.stderr[-3000:]
