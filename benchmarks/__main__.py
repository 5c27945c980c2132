"""``python -m benchmarks [--quick] [--only F1,F3,...] [--publish]``: run the suite, write JSON.

Full runs write ``benchmarks/results/<timestamp>.json``, copy it to ``latest.json`` and
regenerate the table in ``docs/performance.md``; ``--quick`` (the smoke test) runs a tiny
load and writes only where ``--out`` says.  A subset (``--only L1,W2``) writes its own
result file; with ``--publish`` its figures also replace theirs in ``latest.json`` and
the table (each group of rows keeps the date and command of the run that measured it).

Each figure runs bounded in its own process group (`benchmarks.runner`); a failure is
recorded and the run goes on.  Exit status 1 when one of our rows misses its target or
fails (with ``--quick``: only when one fails).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchmarks import procstat, report, runner
from benchmarks.figures import ALL, FIGURES, PREPARE, Context, faults, timeout_for
from benchmarks.harness import REPO

log = logging.getLogger("benchmarks")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="tiny load: the harness smoke test")
    parser.add_argument("--only", default=",".join(ALL), help="comma-separated figures")
    parser.add_argument("--out", type=Path, default=None, help="result file (JSON)")
    parser.add_argument("--e1-calls", default="50,200", help="concurrent calls for E1")
    parser.add_argument(
        "--publish", action="store_true", help="merge a subset into latest.json and the docs"
    )
    parser.add_argument(
        "--timeout", action="append", default=[], metavar="FIGURE=SECONDS",
        help="override a figure's time limit (benchmarks/figures.py)",
    )  # fmt: skip
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", stream=sys.stderr)
    only = {name.strip().upper() for name in args.only.split(",") if name.strip()}
    started = time.monotonic()
    results: dict[str, Any] = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": procstat.machine(),
        "command": _command(args, only),
        "argv": sys.argv[1:] if argv is None else argv,
        "quick": args.quick,
        "figures": {},
    }
    if faults():
        results["injected_faults"] = faults()
    results["load_average_start"] = [round(x, 2) for x in os.getloadavg()]
    _run(only, args, results)
    results["load_average_end"] = [round(x, 2) for x in os.getloadavg()]
    results["elapsed_s"] = round(time.monotonic() - started, 1)
    results["table"] = report.table(results)
    out = args.out
    if out is None:
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        out = REPO / "benchmarks" / "results" / f"{stamp}{'-quick' if args.quick else ''}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    log.info("results written to %s (%.0f s)", out, results["elapsed_s"])
    latest = REPO / "benchmarks" / "results" / "latest.json"
    if not args.quick and only == set(ALL):
        shutil.copyfile(out, latest)
        report.update_docs(results, REPO / "docs" / "performance.md")
    elif not args.quick and args.publish:
        merged = _merged(latest, results)
        latest.write_text(json.dumps(merged, indent=2, ensure_ascii=False) + "\n")
        report.update_docs(merged, REPO / "docs" / "performance.md")
    print(report.render_table(results["table"]))
    verdict = report.verdict(results)
    log.info("%s", verdict.summary)
    if args.quick:  # the smoke run's tiny loads time nothing: only a failure fails it
        return 1 if verdict.any_failed else 0
    return 0 if verdict.ok else 1


def _command(args: argparse.Namespace, only: set[str]) -> str:
    if args.quick:
        return "python -m benchmarks --quick"
    if only == set(ALL):
        return "make bench"
    figures = ",".join(name for name in ALL if name in only)
    return f"python -m benchmarks --only {figures}" + (" --publish" if args.publish else "")


def _merged(latest: Path, results: dict[str, Any]) -> dict[str, Any]:
    """`latest.json` with the figures of `results` in place of its own."""
    merged: dict[str, Any] = json.loads(latest.read_text()) if latest.exists() else {}
    if not merged:
        return results
    runs = merged.setdefault("runs", {})
    for figure in merged["figures"]:
        runs.setdefault(figure, {k: merged[k] for k in ("date", "command", "elapsed_s")})
    for figure, data in results["figures"].items():
        merged["figures"][figure] = data
        runs[figure] = {k: results[k] for k in ("date", "command", "elapsed_s")}
    merged["machine"] = results["machine"]
    merged["table"] = report.table(merged)
    return merged


def _run(only: set[str], args: argparse.Namespace, results: dict[str, Any]) -> None:
    """Every selected figure through `benchmarks.runner`: its own process group, its own
    timeout; a failure is recorded and the next figure runs."""
    figures: dict[str, Any] = results["figures"]
    overrides = _timeouts(args.timeout)
    options: dict[str, Any] = {"e1_calls": args.e1_calls}
    selected = [f for n, f in FIGURES.items() if n in only and (f.quick or not args.quick)]
    data_figures = [f.name for f in selected if f.template is not None]
    for figure in selected:
        name = figure.name
        if name in data_figures and "prepare" not in results:
            # The data sets the next figures need, built side by side (not while the
            # pinned F1-F5 run: their numbers would carry the builds' load).
            timeout = timeout_for(PREPARE, args.quick, overrides)
            log.info("building missing data sets of %s (at most %.0f s)", data_figures, timeout)
            ctx = Context(args.quick, {**options, "data_figures": data_figures})
            results["prepare"] = runner.run_figure(PREPARE, ctx, timeout)
        timeout = timeout_for(figure, args.quick, overrides)
        log.info("%s: running (at most %.0f s)", name, timeout)
        ctx = Context(args.quick, options, dict(figures))
        figures[name] = runner.run_figure(figure, ctx, timeout)
        if "error" in figures[name]:
            log.error("%s FAILED: %s", name, figures[name]["error"])


def _timeouts(items: list[str]) -> dict[str, float]:
    out: dict[str, float] = {}
    for item in items:
        name, _, seconds = item.partition("=")
        out[name.strip().upper()] = float(seconds)
    return out


if __name__ == "__main__":
    raise SystemExit(main())
