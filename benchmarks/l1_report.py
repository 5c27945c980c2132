"""The rows L1 and W2 add to the table of docs/performance.md (`benchmarks.report`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Row = dict[str, Any]
MakeRow = Callable[..., Row]

L1_LISTS = (
    ("queue_overdue", "inspectors' overdue queue"),
    ("queue_overdue_deep", "overdue queue, 1,000 rows in"),
    ("queue_reopened", "inspectors' reopened queue"),
    ("queue_open", "inspectors' queue of all open requests"),
    ("queue_open_deep", "all open, 1,000 rows in"),
    ("agency_list", "busiest agency's list by deadline"),
    ("agency_list_deep", "agency list, 1,000 rows in"),
    ("agency_overdue", "agency list, overdue only"),
)
W2_SEARCHES = (
    ("list", "newest calls"),
    ("list_deep", "newest calls, 5,000 rows in"),
    ("province_month", "one province, a month"),
    ("province_month_deep", "one province, a month, 2,500 rows in"),
    ("province_year", "one province, a year"),
    ("tracking_code", "tracking code"),
    ("caller", "frequent caller (100 calls)"),
    ("caller_deep", "frequent caller, second page"),
    ("status_escalated", "status escalated, every province"),
    ("status_escalated_deep", "status escalated, 2,500 rows in"),
    ("province_open", "one province, status assigned"),
    ("overdue", "overdue now, every province"),
    ("overdue_deep", "overdue now, 2,500 rows in"),
)


def _p95_rows(
    row: MakeRow, figure: str, data: dict[str, Any], labels: tuple[tuple[str, str], ...], at: str
) -> list[Row]:
    rows = []
    for key, label in labels:
        for suffix, kind in (("", "API"), ("_html", "page")):
            item = data.get(key + suffix)
            if item is None:
                continue
            ours, bare = item["ours"], item["bare"]
            clean = ours["errors"] == 0 and bare["errors"] == 0
            rows.append(
                row(
                    figure, f"{label} ({kind}): p95 at {at}", ours["p95_ms"], "ms", "bare",
                    bare["p95_ms"], "< 100 ms", clean and ours["p95_ms"] < 100,
                )
            )  # fmt: skip
    return rows


def l1_rows(row: MakeRow, l1: dict[str, Any]) -> list[Row]:
    at = f"{l1['sizes']['requests']:,} requests"
    rows = _p95_rows(row, "L1", l1["lists"], L1_LISTS, at)
    jobs = l1["jobs"]
    if "not_measured" in jobs:
        rows.append(
            row("L1", f"deadline job: not measured: {jobs['not_measured']}", None, "s", "", None,
                "< 5 s", None)
        )  # fmt: skip
    else:
        daily, first, second = jobs["daily"], jobs["first"], jobs["second"]
        day = daily["rounds"][-1]
        rows.append(
            row("L1", f"deadline job, a day's work over {daily['waiting']:,} waiting "
                f"({_done(day)})", daily["seconds"], "s", "", None, "< 5 s",
                daily["seconds"] < 5)
        )  # fmt: skip
        rows.append(
            row("L1", f"deadline job catching up three days ({_done(first)})", first["seconds"],
                "s", "", None, "(reference)", None)
        )  # fmt: skip
        rows.append(
            row("L1", "deadline job run again (nothing left to do)", second["seconds"], "s", "",
                None, "(idempotent)", second["escalated"] + second["reminded"] == 0)
        )  # fmt: skip
    rc = l1["recompute"]
    waiting = l1["sizes"]["waiting"]
    moved = max(rc["deadlines_moved_per_add"])
    rows.append(
        row("L1", f"holiday added in {rc['centers']} provinces, {waiting:,} waiting "
            f"({moved:,} deadlines moved)", rc["add_s"], "s", "", None, "< 10 s",
            rc["add_s"] < 10)
    )  # fmt: skip
    rows.append(
        row("L1", "the same holiday removed again", rc["remove_s"], "s", "", None, "< 10 s",
            rc["remove_s"] < 10)
    )  # fmt: skip
    rows.append(
        row("L1", f"nightly reconcile of every deadline ({rc['reconcile_moved']} moved)",
            rc["reconcile_s"], "s", "", None, "(reference)", None)
    )  # fmt: skip
    return rows


def _done(r: dict[str, Any]) -> str:
    return (
        f"{r['escalated']:,} escalated, {r['long_stops']:,} long stops, {r['reminded']:,} reminded"
    )


def w2_rows(row: MakeRow, w2: dict[str, Any]) -> list[Row]:
    rows = _p95_rows(row, "W2", w2, W2_SEARCHES, f"{w2['calls']:,} calls")
    cpu = w2["server_cpu_us_per_request"]
    rows.append(
        row("W2", "server CPU per request", float(cpu["ours"]), "us", "bare", float(cpu["bare"]),
            "(diagnostic)", None)
    )  # fmt: skip
    return rows
