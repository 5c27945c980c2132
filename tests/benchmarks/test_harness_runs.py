"""The benchmark harness runs end to end on a tiny load (no timing is asserted)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

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
