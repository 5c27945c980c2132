"""``python -m benchmarks.soak [--calls N] [--minutes M] [--cycles C] [--out FILE]``.

Places the calls through real Asterisk while it injects the faults (benchmarks.soak.run),
prints the accounting and writes the whole result as JSON (default
benchmarks/results/soak-<timestamp>.json).  Exits 0 only when the accounting holds.
The Asterisk instance and its ports come from SAMAD_TEST_ASTERISK_INSTANCE,
SAMAD_TEST_AMI_PORT and SAMAD_TEST_AGI_PORT (default: instance ``soak``, 5059, 4599).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sys
from datetime import UTC, datetime
from pathlib import Path

from benchmarks.harness import REPO
from benchmarks.soak.run import SoakConfig, run
from benchmarks.soak.stack import Ports


def ports_from_env() -> Ports:
    return Ports(
        instance=os.environ.get("SAMAD_TEST_ASTERISK_INSTANCE", "soak"),
        ami=int(os.environ.get("SAMAD_TEST_AMI_PORT", "5059")),
        agi=int(os.environ.get("SAMAD_TEST_AGI_PORT", "4599")),
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=300)
    parser.add_argument("--minutes", type=float, default=6.0, help="placement window")
    parser.add_argument("--cycles", type=int, default=2, help="rounds of the four faults")
    parser.add_argument("--down", type=float, default=8.0, help="service/PostgreSQL outage, s")
    parser.add_argument("--kannel-down", type=float, default=15.0)
    parser.add_argument("--settle", type=float, default=240.0, help="max wait for the accounting")
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    if not 1 <= args.calls <= 2000 or not 0.5 <= args.minutes <= 60:
        parser.error("--calls must be 1..2000 and --minutes 0.5..60")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", stream=sys.stderr)
    cfg = SoakConfig(
        ports=ports_from_env(),
        calls=args.calls,
        window_s=args.minutes * 60,
        cycles=args.cycles,
        down_s=args.down,
        kannel_down_s=args.kannel_down,
        settle_s=args.settle,
        seed=args.seed,
    )
    started = datetime.now(UTC)
    result = asyncio.run(run(cfg))
    result["date"] = started.isoformat(timespec="seconds")
    out = args.out or REPO / "benchmarks" / "results" / f"soak-{started:%Y%m%dT%H%M%SZ}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", "utf-8")
    print(json.dumps({k: result.get(k) for k in ("calls", "faults", "accounting")}, indent=2,
                     ensure_ascii=False))  # fmt: skip
    print(f"soak: written {out}", file=sys.stderr)
    return 0 if result.get("accounting", {}).get("holds") else 1


if __name__ == "__main__":
    raise SystemExit(main())
