"""What W2 and L1 share over HTTP: a logged-in user, and our app against a bare one.

The two server processes run pinned to the server core (`benchmarks.servers`), the load
generator (`benchmarks.w1_load`, W1's) on the other, going round the URLs in turn so a
burst of outside load on this shared box hits all of them alike.  A figure is the ratio
against the bare app in the same invocation, as PERFORMANCE.md asks.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import secrets
import subprocess
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from benchmarks.harness import CLIENT_CPU, PYTHON, REPO, Server, median, pinned
from samad_ivr.storage.accounts import AccountRepository, NewUser
from samad_ivr.storage.db import Pool
from samad_ivr.web.auth_views import hash_password
from samad_ivr.web.security import session_token_hash


@dataclass(frozen=True, slots=True)
class Load:
    runs: int
    requests: int
    concurrency: int
    warmup: int

    @classmethod
    def for_mode(cls, quick: bool) -> Load:
        return cls(1, 10, 2, 2) if quick else cls(3, 200, 8, 40)


@dataclass(frozen=True, slots=True)
class Target:
    """One measured request: the path on our app and the bare app's query of the same."""

    name: str
    ours_path: str
    bare_name: str


async def session_for(pool: Pool, new: NewUser) -> str:
    """A user with a live session, as the login page would leave it: the cookie's token."""
    accounts = AccountRepository(pool)
    user = await accounts.create_user(new, await hash_password(secrets.token_urlsafe(16)))
    token = secrets.token_urlsafe(32)
    expires = datetime.now(UTC) + timedelta(hours=3)
    await accounts.create_session(session_token_hash(token), user.id, expires, "127.0.0.1")
    return token


def measure(
    kinds: tuple[str, str], url: str, cookie: str, targets: list[Target], load: Load
) -> dict[str, Any]:
    """p50/p95/rate of every target on both apps (`kinds`: ours, bare); per target the
    summary with its ratios, and the servers' CPU per request."""
    with (
        Server(kinds[0], "--database-url", url) as ours,
        Server(kinds[1], "--database-url", url) as bare,
    ):
        urls: dict[str, str] = {}
        for t in targets:
            urls[f"{t.name}/ours"] = f"http://127.0.0.1:{ours.port}{t.ours_path}"
            urls[f"{t.name}/bare"] = f"http://127.0.0.1:{bare.port}/bare/{t.bare_name}"
        spec = {
            "targets": urls, "cookie": cookie, "runs": load.runs, "requests": load.requests,
            "concurrency": load.concurrency, "warmup": load.warmup, "deadline": 1500,
        }  # fmt: skip
        cpu_before = (ours.cpu(), bare.cpu())
        proc = subprocess.run(
            pinned(CLIENT_CPU, [PYTHON, "-m", "benchmarks.w1_load", json.dumps(spec)]),
            cwd=REPO, capture_output=True, text=True, timeout=1560, check=False,
        )  # fmt: skip
        cpu = (ours.cpu() - cpu_before[0], bare.cpu() - cpu_before[1])
    if proc.returncode != 0:
        raise RuntimeError(f"HTTP load generator failed: {proc.stderr[-2000:]}")
    runs: dict[str, list[dict[str, float]]] = json.loads(proc.stdout.strip().splitlines()[-1])
    per_app = (load.warmup + load.runs * load.requests) * len(targets)
    result: dict[str, Any] = {
        "server_cpu_us_per_request": {
            "ours": round(cpu[0] * 1e6 / per_app), "bare": round(cpu[1] * 1e6 / per_app),
        },
        "load": {"runs": load.runs, "requests": load.requests, "concurrency": load.concurrency},
        "runs": runs,
    }  # fmt: skip
    for t in targets:
        result[t.name] = summary(runs[f"{t.name}/ours"], runs[f"{t.name}/bare"])
        result[t.name]["path"] = t.ours_path
    return result


def summary(ours: list[dict[str, float]], bare: list[dict[str, float]]) -> dict[str, Any]:
    """Medians over the runs of both apps, and ours relative to bare."""

    def med(runs: list[dict[str, float]], key: str) -> float:
        return round(median([r[key] for r in runs]), 2)

    result: dict[str, Any] = {}
    for app, runs in (("ours", ours), ("bare", bare)):
        result[app] = {key: med(runs, key) for key in ("p50_ms", "p95_ms", "rps")}
        result[app]["errors"] = sum(int(r["errors"]) for r in runs)
    # Speed relative to the bare app (1.0 = as fast): rate ratio and inverse p95 ratio.
    result["ratio_rps"] = round(result["ours"]["rps"] / result["bare"]["rps"], 2)
    result["ratio_p95"] = round(result["bare"]["p95_ms"] / result["ours"]["p95_ms"], 2)
    return result


def standalone(
    doc: str | None,
    size_flag: str,
    run: Callable[[bool, int | None], Coroutine[Any, Any, dict[str, Any]]],
    argv: list[str] | None,
) -> int:
    """`python -m benchmarks.<figure> [<size_flag> N] [--quick]`: one figure, JSON out."""
    parser = argparse.ArgumentParser(description=doc)
    parser.add_argument(size_flag, type=int, default=None, dest="size")
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    result: dict[str, Any] = asyncio.run(run(args.quick, args.size))
    result.pop("runs", None)
    print(json.dumps(result, indent=2, ensure_ascii=False, default=str))
    return 0
