"""F1-F5: our FastAGI layer against B0 (minimal asyncio), B1 (panoramisk), B2 (threads)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import partial
from typing import Any

from benchmarks.harness import (
    BenchFailure,
    ParkedLoad,
    Server,
    attempt,
    listen_backlog,
    median,
    run_loadgen,
    settle,
)

log = logging.getLogger(__name__)

BENCH_KINDS = ("b0", "b1", "b2", "ours")


@dataclass(frozen=True, slots=True)
class Sizes:
    runs: int
    f1_sessions: int
    f2_seconds: float
    f3_sessions: int
    f3_window: float
    f3_park_timeout: float
    f4_sessions: int
    f5_sessions: int

    @classmethod
    def for_mode(cls, quick: bool) -> Sizes:
        if quick:
            return cls(1, 50, 0.5, 50, 0.5, 8.0, 50, 50)
        # Five interleaved runs: on this shared box single runs vary by about ±10%.  F2
        # runs 5 s each: a p99 over 3 s (~9,000 turnarounds) moved by ±40% between runs.
        return cls(5, 4000, 5.0, 3000, 5.0, 120.0, 500, 2000)


def _server(kind: str, database_url: str | None) -> Server:
    if kind == "inbound":
        assert database_url is not None
        return Server("inbound", "--database-url", database_url, "--center", "bench")
    return Server(kind)


def _route(kind: str) -> str:
    return "inbound" if kind == "inbound" else "bench"


def _kinds(database_url: str | None) -> list[str]:
    return [*BENCH_KINDS, *(["inbound"] if database_url else [])]


def _started(kind: str, database_url: str | None) -> dict[str, Any]:
    return {"server": _server(kind, database_url)}


def _interleaved(
    figure: str, kinds: list[str], runs: int, database_url: str | None, one: Any
) -> tuple[dict[str, list[dict[str, Any]]], dict[str, dict[str, Any]]]:
    """All servers up at once, runs interleaved kind by kind: the box is shared and noisy,
    so a burst of outside load hits every server's runs alike instead of one baseline.
    A server that fails to start or fails a run is stopped and left out of the remaining
    runs; its reason is in the second dict."""
    servers: dict[str, Server] = {}
    results: dict[str, list[dict[str, Any]]] = {kind: [] for kind in kinds}
    failed: dict[str, dict[str, Any]] = {}

    def drop(kind: str, outcome: dict[str, Any]) -> None:
        failed[kind] = outcome
        results.pop(kind, None)
        server = servers.pop(kind, None)
        if server is not None:
            server.stop()

    try:
        for kind in kinds:
            started = attempt(figure, kind, partial(_started, kind, database_url))
            if "error" in started:
                drop(kind, started)
            else:
                servers[kind] = started["server"]
        for kind, server in list(servers.items()):
            warm_up = partial(run_loadgen, server.port, route=_route(kind), sessions=200)
            warm = attempt(figure, kind, partial(warm_up, run_id="warm"))
            if "error" in warm:
                drop(kind, warm)
        for i in range(runs):
            for kind, server in list(servers.items()):

                def measured(
                    server: Server = server, kind: str = kind, i: int = i
                ) -> dict[str, Any]:
                    cpu0 = server.cpu()
                    result: dict[str, Any] = one(server, kind, i)
                    result["server_cpu_s"] = server.cpu() - cpu0
                    return result

                result = attempt(figure, kind, measured)
                if "error" in result:
                    drop(kind, result)
                else:
                    results[kind].append(result)
    finally:
        for server in servers.values():
            server.stop()
    return results, failed


def f1_session_rate(sizes: Sizes, database_url: str | None) -> dict[str, Any]:
    """Closed loop, 50 sessions in flight, no media delay: completed sessions per second."""

    def one(server: Server, kind: str, i: int) -> dict[str, Any]:
        return run_loadgen(
            server.port,
            route=_route(kind),
            concurrency=50,
            sessions=sizes.f1_sessions,
            run_id=f"f1r{i}",
        )

    runs_of, out = _interleaved("F1", _kinds(database_url), sizes.runs, database_url, one)
    for kind, runs in runs_of.items():
        rates = [r["sessions_per_s"] for r in runs]
        cpu_per = [r["server_cpu_s"] / r["sessions_ok"] * 1e6 for r in runs if r["sessions_ok"]]
        out[kind] = {
            "sessions_per_s": median(rates),
            "runs": rates,
            "server_cpu_us_per_session": median(cpu_per),
            "failed": sum(r["failed"] for r in runs),
            "desyncs": sum(r["desyncs"] for r in runs),
            "first_command_p99_ms": median([r["first_command_ms"].get("p99", 0) for r in runs]),
        }
        log.info("F1 %s: %.0f sessions/s", kind, out[kind]["sessions_per_s"])
    return out


def f2_turnaround(sizes: Sizes, rate: float, database_url: str | None) -> dict[str, Any]:
    """Open loop at ``rate`` sessions/s (half of B1's F1 rate): turnaround percentiles."""

    def one(server: Server, kind: str, i: int) -> dict[str, Any]:
        return run_loadgen(
            server.port,
            route=_route(kind),
            mode="open",
            rate=rate,
            sessions=max(10, int(rate * sizes.f2_seconds)),
            concurrency=1000,
            run_id=f"f2r{i}",
        )

    runs_of, failed = _interleaved("F2", _kinds(database_url), sizes.runs, database_url, one)
    out: dict[str, Any] = {"offered_rate": rate, **failed}
    for kind, runs in runs_of.items():
        out[kind] = {
            "turnaround_p99_ms": median([r["turnaround_ms"]["p99"] for r in runs]),
            "turnaround_p50_ms": median([r["turnaround_ms"]["p50"] for r in runs]),
            "server_cpu_us_per_session": median(
                [r["server_cpu_s"] / r["sessions_ok"] * 1e6 for r in runs if r["sessions_ok"]]
            ),
            "failed": sum(r["failed"] for r in runs),
        }
        log.info("F2 %s: %s", kind, out[kind])
    return out


def _warm(server: Server, sessions: int, deadline: float) -> None:
    """A few sessions first (imports, first allocations); a server that fails them is
    not measured."""
    result = run_loadgen(
        server.port, sessions=sessions, concurrency=10, run_id="warm", deadline=deadline
    )
    if result["failed"] or result["sessions_ok"] < sessions:
        server.check_alive()  # a dead server says so rather than "0 completed"
        raise BenchFailure(
            f"completed {result['sessions_ok']} of {sessions} warm-up sessions within "
            f"{deadline:.0f} s"
        )


def f3_parked(sizes: Sizes) -> dict[str, Any]:
    """N sessions parked in a long media command: extra RSS and idle CPU of the server."""
    out: dict[str, Any] = {"sessions": sizes.f3_sessions}
    for kind in ("ours", "b2", "b0", "b1"):
        out[kind] = attempt("F3", kind, partial(_f3_one, sizes, kind))
        log.info("F3 %s: %s", kind, out[kind])
    return out


def _f3_one(sizes: Sizes, kind: str) -> dict[str, Any]:
    with Server(kind) as server:
        # Warm the code paths so the baseline RSS includes imports and first sessions.
        _warm(server, 50, sizes.f3_park_timeout)
        settle(0.3)
        rss0 = server.stats()["rss_kb"]
        load = ParkedLoad(
            server.port, sessions=sizes.f3_sessions, deadline=180, session_timeout=170
        )
        try:
            parked = load.wait_parked(sizes.f3_sessions, timeout=sizes.f3_park_timeout)
            settle(0.5)
            cpu0 = server.cpu()
            settle(sizes.f3_window)
            idle_cpu = (server.cpu() - cpu0) / sizes.f3_window
            stats = server.stats()
            result = load.release()
        finally:
            load.kill()
    return {
        "parked": parked,
        "extra_rss_mb": (stats["rss_kb"] - rss0) / 1024,
        "idle_cpu_pct_of_core": idle_cpu * 100,
        "threads": stats["os_threads"],
        "completed": result["sessions_ok"],
        "failed": result["failed"],
    }


def f4_burst(sizes: Sizes) -> dict[str, Any]:
    """N connects spread over 100 ms: refused/late connects, and the listen backlog."""
    out: dict[str, Any] = {"connects": sizes.f4_sessions, "window_ms": 100}
    for kind in ("ours", "b0", "b1", "b2"):
        out[kind] = attempt("F4", kind, partial(_f4_one, sizes, kind))
    return out


def _f4_one(sizes: Sizes, kind: str) -> dict[str, Any]:
    with Server(kind) as server:
        backlog = listen_backlog(server.port)
        result = run_loadgen(
            server.port,
            mode="burst",
            sessions=sizes.f4_sessions,
            window_ms=100,
            connect_timeout=5,
            deadline=60,
            run_id="f4",
        )
        server.check_alive()
    return {
        "backlog": backlog,
        "refused_or_failed": result["failed"],
        "late_connects_over_2s": result["late_connects"],
        "connect_p99_ms": result["connect_ms"].get("p99"),
        "connect_max_ms": result["connect_ms"].get("max"),
        "completed": result["sessions_ok"],
        "spawn_window_ms": result.get("spawn_window_ms"),
    }


def f5_hangup(sizes: Sizes) -> dict[str, Any]:
    """10% of sessions get HANGUP mid-dialog: leaked tasks/sockets and desyncs afterwards."""
    out: dict[str, Any] = {"sessions": sizes.f5_sessions, "hangup_fraction": 0.1}
    for kind in ("ours", "b0", "b1", "b2"):
        out[kind] = attempt("F5", kind, partial(_f5_one, sizes, kind))
    return out


def _f5_one(sizes: Sizes, kind: str) -> dict[str, Any]:
    with Server(kind) as server:
        _warm(server, 20, sizes.f3_park_timeout)
        before = server.stats()
        result = run_loadgen(
            server.port,
            sessions=sizes.f5_sessions,
            concurrency=50,
            media_delay=0.01,
            hangup_fraction=0.1,
            run_id="f5",
        )
        settle(1.5)  # a graceful close takes a loop turn or two
        after = server.stats()
    return {
        "hangups_injected": result["hangups_injected"],
        "failed": result["failed"],
        "failures": result["failures"],
        "desyncs": result["desyncs"],
        "commands_after_hangup": result["post_hangup_commands"],
        "leaked_tasks": after["tasks"] - before["tasks"],
        "leaked_threads": after["os_threads"] - before["os_threads"],
        "leaked_sockets": after["sockets"] - before["sockets"],
        "leaked_fds": after["fds"] - before["fds"],
    }
