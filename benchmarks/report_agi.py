"""The rows F1–F5 add to the table (`benchmarks.report`), each server's failure included.

A server that failed inside a figure carries `{"error": reason}` instead of its numbers
(`benchmarks.harness.attempt`).  When it is a baseline, our rows still show our value and
judge what can be judged without it (the absolute part of a target), with the ratio left
out and the baseline's reason in its column; when it is ours, the row fails with it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Row = dict[str, Any]
MakeRow = Callable[..., Row]


def _get(fig: dict[str, Any], kind: str, key: str) -> Any:
    data = fig.get(kind)
    if not isinstance(data, dict) or "error" in data:
        return None
    return data.get(key)


def _error(fig: dict[str, Any], kind: str) -> str | None:
    data = fig.get(kind)
    if data is None:
        return f"{kind} not measured"
    return str(data["error"]) if isinstance(data, dict) and "error" in data else None


def _ours_row(
    row: MakeRow,
    fig: dict[str, Any],
    figure: str,
    what: str,
    kind: str,
    key: str,
    unit: str,
    base: str,
    base_key: str,
    target: str,
    judge: Callable[[Any, Any], bool | None],
) -> Row:
    """One judged row of ours against baseline `base`: `judge(ours, baseline)` with the
    baseline None when it failed (judge the absolute part alone, or None)."""
    ours_error = _error(fig, kind)
    value = None if ours_error else _get(fig, kind, key)
    baseline = _get(fig, base, base_key)
    label = base.upper() if base.startswith("b") else base
    r = row(figure, what, value, unit, label, baseline, target, None)
    base_error = _error(fig, base)
    if base_error:
        r["baseline_error"] = base_error
    if ours_error:
        r.update(failed=True, note=ours_error, ratio=None)
    else:
        r["pass"] = judge(value, baseline)
        if base_error and r["pass"] is not None and label in target:
            r["note"] = f"ratio not judged: {base_error}"
    return r


def _reference(  # one row of reference numbers, not judged
    row: MakeRow, fig: dict[str, Any], figure: str, what: str, kind: str, key: str,
    unit: str, base: str, base_key: str,
) -> Row:
    r = row(figure, what, _get(fig, kind, key), unit, base.upper(), _get(fig, base, base_key),
            "(reference)", None)  # fmt: skip
    for name in (kind, base):
        error = _error(fig, name)
        if error:
            r["note"] = error
    return r


def f1_rows(row: MakeRow, f1: dict[str, Any]) -> list[Row]:
    rows = [
        _reference(row, f1, "F1", label, kind, "sessions_per_s", "sessions/s", "b1",
                   "sessions_per_s")
        for kind, label in (("b0", "B0 minimal asyncio"), ("b2", "B2 thread per connection"))
    ]  # fmt: skip
    clean = _get(f1, "ours", "failed") == 0
    rows.append(
        _ours_row(row, f1, "F1", "our layer, B1's script", "ours", "sessions_per_s",
                  "sessions/s", "b1", "sessions_per_s", ">= 1.0x B1",
                  lambda v, b: None if b is None else v >= b and clean)
    )  # fmt: skip
    if "inbound" in f1:
        inbound_clean = _get(f1, "inbound", "failed") == 0
        rows.append(
            _ours_row(row, f1, "F1", "real inbound route + PostgreSQL", "inbound",
                      "sessions_per_s", "sessions/s", "b1", "sessions_per_s", ">= 0.5x B1",
                      lambda v, b: None if b is None else v >= 0.5 * b and inbound_clean)
        )  # fmt: skip
    rows.append(
        _reference(row, f1, "F1", "our layer: server CPU per session", "ours",
                   "server_cpu_us_per_session", "us", "b1", "server_cpu_us_per_session")
        | {"target": "(diagnostic)"}
    )  # fmt: skip
    return rows


def f2_rows(row: MakeRow, f2: dict[str, Any]) -> list[Row]:
    rows = [
        _ours_row(row, f2, "F2", f"turnaround p99 at {f2['offered_rate']:.0f} sessions/s",
                  "ours", "turnaround_p99_ms", "ms", "b1", "turnaround_p99_ms",
                  "<= 1.5x B1 and <= 1 ms",
                  lambda v, b: v <= 1.0 and (b is None or v <= 1.5 * b))
    ]  # fmt: skip
    if "inbound" in f2:
        rows.append(
            _reference(row, f2, "F2", "turnaround p99, inbound route", "inbound",
                       "turnaround_p99_ms", "ms", "b1", "turnaround_p99_ms")
        )  # fmt: skip
    return rows


def f3_rows(row: MakeRow, f3: dict[str, Any]) -> list[Row]:
    n = f3["sessions"]
    held = _get(f3, "ours", "parked") == n
    return [
        _ours_row(row, f3, "F3", f"extra RSS, {n} parked sessions", "ours", "extra_rss_mb",
                  "MB", "b2", "extra_rss_mb", "<= 100 MB and <= 0.5x B2",
                  lambda v, b: v <= 100 and held and (b is None or v <= 0.5 * b)),
        _ours_row(row, f3, "F3", "idle CPU while parked", "ours", "idle_cpu_pct_of_core",
                  "% of a core", "b2", "idle_cpu_pct_of_core", "<= 10%", lambda v, _b: v <= 10),
    ]  # fmt: skip


def f4_rows(row: MakeRow, f4: dict[str, Any]) -> list[Row]:
    for kind in ("ours", "b2"):
        data = f4.get(kind)
        if isinstance(data, dict) and "error" not in data:
            data["refused_or_late"] = data["refused_or_failed"] + data["late_connects_over_2s"]
    return [
        _ours_row(row, f4, "F4", f"{f4['connects']} connects in 100 ms: refused or late",
                  "ours", "refused_or_late", "connects", "b2", "refused_or_late", "0",
                  lambda v, _b: v == 0),
        _ours_row(row, f4, "F4", "listen backlog", "ours", "backlog", "", "b2", "backlog",
                  ">= 128", lambda v, _b: (v or 0) >= 128),
    ]  # fmt: skip


def f5_rows(row: MakeRow, f5: dict[str, Any]) -> list[Row]:
    for kind in ("ours", "b1"):
        data = f5.get(kind)
        if isinstance(data, dict) and "error" not in data:
            data["leaks"] = data["leaked_tasks"] + data["leaked_sockets"] + data["desyncs"]
    clean = _get(f5, "ours", "failed") == 0
    return [
        _ours_row(row, f5, "F5", "10% HANGUP: leaked tasks + sockets + desyncs", "ours",
                  "leaks", "", "b1", "leaks", "0", lambda v, _b: v == 0 and clean)
    ]  # fmt: skip
