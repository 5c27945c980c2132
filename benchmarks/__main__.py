"""``python -m benchmarks [--quick] [--only F1,F3,...] [--publish]``: run the suite, write JSON.

Full runs write ``benchmarks/results/<timestamp>.json``, copy it to ``latest.json`` and
regenerate the table in ``docs/performance.md``; ``--quick`` (the smoke test) runs a tiny
load and writes only where ``--out`` says.  A subset (``--only L1,W2``) writes its own
result file; with ``--publish`` its figures also replace theirs in ``latest.json`` and
the table (each group of rows keeps the date and command of the run that measured it).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import shutil
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchmarks import fastagi, procstat, report
from benchmarks.harness import REPO

log = logging.getLogger("benchmarks")

ALL = ("F1", "F2", "F3", "F4", "F5", "E1", "A1", "W1", "L1", "W2")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="tiny load: the harness smoke test")
    parser.add_argument("--only", default=",".join(ALL), help="comma-separated figures")
    parser.add_argument("--out", type=Path, default=None, help="result file (JSON)")
    parser.add_argument("--e1-calls", default="50,200", help="concurrent calls for E1")
    parser.add_argument(
        "--publish", action="store_true", help="merge a subset into latest.json and the docs"
    )
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
    figures: dict[str, Any] = results["figures"]
    asyncio.run(_run(only, args, figures))
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
    return 0


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


async def _run(only: set[str], args: argparse.Namespace, figures: dict[str, Any]) -> None:
    sizes = fastagi.Sizes.for_mode(args.quick)
    need_db = bool(only & {"F1", "F2", "E1"})  # W1, L1 and W2 make their own
    from benchmarks.db import fresh_database

    async with fresh_database() if need_db else _no_database() as database_url:
        if "F1" in only:
            figures["F1"] = await asyncio.to_thread(fastagi.f1_session_rate, sizes, database_url)
        if "F2" in only:
            b1_rate = figures.get("F1", {}).get("b1", {}).get("sessions_per_s") or 1000.0
            figures["F2"] = await asyncio.to_thread(
                fastagi.f2_turnaround, sizes, b1_rate / 2, database_url
            )
        if "F3" in only:
            figures["F3"] = await asyncio.to_thread(fastagi.f3_parked, sizes)
        if "F4" in only:
            figures["F4"] = await asyncio.to_thread(fastagi.f4_burst, sizes)
        if "F5" in only:
            figures["F5"] = await asyncio.to_thread(fastagi.f5_hangup, sizes)
        if "A1" in only:
            from benchmarks import audio

            figures["A1"] = await asyncio.to_thread(audio.a1_postprocessing, args.quick)
        if "E1" in only and not args.quick:
            from benchmarks import asterisk

            calls = [int(n) for n in args.e1_calls.split(",") if n]
            try:
                figures["E1"] = await asterisk.e1_real_asterisk(calls)
            except Exception as exc:  # a broken Asterisk must not lose the other figures
                log.exception("E1 failed")
                figures["E1"] = {"error": f"{type(exc).__name__}: {exc}", "runs": []}
        if "W1" in only:
            from benchmarks import w1

            figures["W1"] = await w1.w1_web_api(args.quick)
        if "L1" in only:
            from benchmarks import l1

            figures["L1"] = await l1.l1_lifecycle(args.quick)
        if "W2" in only:
            from benchmarks import w2

            figures["W2"] = await w2.w2_national_search(args.quick)


class _no_database:
    async def __aenter__(self) -> None:
        return None

    async def __aexit__(self, *_exc: object) -> None:
        return None


if __name__ == "__main__":
    raise SystemExit(main())
