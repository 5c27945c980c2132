"""Process plumbing shared by the figures: servers and load generators on pinned cores."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from benchmarks import procstat

log = logging.getLogger(__name__)

REPO = Path(__file__).resolve().parents[1]
PYTHON = sys.executable
# Two cores here: the server under test on one, the load generator on the other.
SERVER_CPU = "0"
CLIENT_CPU = "1" if (os.cpu_count() or 1) > 1 else "0"


def pinned(cpu: str, argv: list[str]) -> list[str]:
    return ["taskset", "-c", cpu, *argv]


def _readline(stream: IO[str], timeout: float, what: str) -> str:
    """Read one line, bounded in time (the child may die or hang)."""
    import selectors

    sel = selectors.DefaultSelector()
    sel.register(stream, selectors.EVENT_READ)
    try:
        if not sel.select(timeout):
            raise TimeoutError(f"{what}: no output within {timeout}s")
    finally:
        sel.close()
    line = stream.readline()
    if not line:
        raise RuntimeError(f"{what}: process ended without output")
    return line


class Server:
    """One server under test, in its own process pinned to SERVER_CPU."""

    def __init__(self, kind: str, *extra: str) -> None:
        self.kind = kind
        self.proc = subprocess.Popen(
            pinned(SERVER_CPU, [PYTHON, "-m", "benchmarks.servers", kind, *extra]),
            cwd=REPO,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._log(kind),
            text=True,
        )
        assert self.proc.stdout is not None
        ready = json.loads(_readline(self.proc.stdout, 30, f"server {kind}"))
        self.port = int(ready["port"])
        self.pid = self.proc.pid

    @staticmethod
    def _log(kind: str) -> IO[str]:
        """The server's stderr, kept for a post-mortem (results/ is not committed)."""
        path = REPO / "benchmarks" / "results" / f"server-{kind}.log"
        path.parent.mkdir(parents=True, exist_ok=True)
        return path.open("w")

    def stats(self) -> dict[str, Any]:
        self.check_alive()
        assert self.proc.stdin is not None
        assert self.proc.stdout is not None
        self.proc.stdin.write("stats\n")
        self.proc.stdin.flush()
        data: dict[str, Any] = json.loads(_readline(self.proc.stdout, 10, "stats"))
        fds, sockets = procstat.open_fds(self.pid)
        data.update(fds=fds, sockets=sockets, rss_kb=procstat.rss_kb(self.pid))
        data["os_threads"] = procstat.threads(self.pid)
        return data

    def cpu(self) -> float:
        self.check_alive()
        return procstat.cpu_seconds(self.pid)

    def check_alive(self) -> None:
        if self.proc.poll() is not None:
            raise BenchFailure(f"exited with status {self.proc.returncode} (see server-"
                               f"{self.kind}.log)")  # fmt: skip

    def stop(self) -> None:
        if self.proc.poll() is None:
            assert self.proc.stdin is not None
            try:
                self.proc.stdin.write("quit\n")
                self.proc.stdin.close()
                self.proc.wait(timeout=10)
            except (OSError, subprocess.TimeoutExpired):
                self.proc.kill()
                self.proc.wait()

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()


def loadgen_argv(port: int, **options: object) -> list[str]:
    argv = [PYTHON, "-m", "benchmarks.loadgen", "--port", str(port)]
    for key, value in options.items():
        argv += [f"--{key.replace('_', '-')}", str(value)]
    return pinned(CLIENT_CPU, argv)


def run_loadgen(port: int, **options: object) -> dict[str, Any]:
    """Run one bounded load-generator process and return its JSON result."""
    deadline = float(options.setdefault("deadline", 60.0))  # type: ignore[arg-type]
    proc = subprocess.run(
        loadgen_argv(port, **options),
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=deadline + 30,
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"load generator failed: {proc.stderr[-2000:]}")
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


class ParkedLoad:
    """A load generator in park mode: sessions held inside the media command."""

    def __init__(self, port: int, **options: object) -> None:
        self.proc = subprocess.Popen(
            loadgen_argv(port, mode="park", **options),
            cwd=REPO,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def wait_parked(self, sessions: int, timeout: float) -> int:
        assert self.proc.stdout is not None
        try:
            line = _readline(self.proc.stdout, timeout, "park")
        except TimeoutError:
            raise BenchFailure(
                f"could not hold {sessions:,} parked sessions within {timeout:.0f} s"
            ) from None
        return int(json.loads(line)["parked"])

    def release(self, timeout: float = 120) -> dict[str, Any]:
        out, _err = self.proc.communicate("release\n", timeout=timeout)
        result: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
        return result

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


class BenchFailure(Exception):
    """A failure worth printing as it is: the message completes "<server> ...", e.g.
    "could not hold 3,000 parked sessions within 120 s"."""


LABELS = {"b0": "B0", "b1": "B1", "b2": "B2", "ours": "our layer", "inbound": "inbound route"}


def failure_reason(kind: str, exc: BaseException) -> str:
    subject = LABELS.get(kind, kind)
    if isinstance(exc, BenchFailure):
        return f"{subject} {exc}"
    return f"{subject} failed: {type(exc).__name__}: {exc}"


def attempt(figure: str, kind: str, measure: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """`measure()`, or `{"error": reason}` when it raises: one baseline (or our server)
    failing is a result beside the others, not the end of the figure.  The whole figure
    is bounded in time by `benchmarks.runner`; every wait inside has its own timeout."""
    try:
        return measure()
    except Exception as exc:
        reason = failure_reason(kind, exc)
        log.error("%s: %s", figure, reason)
        return {"error": reason}


def median(values: list[float]) -> float:
    ordered = sorted(values)
    n = len(ordered)
    if n == 0:
        return float("nan")
    mid = n // 2
    return ordered[mid] if n % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def listen_backlog(port: int) -> int | None:
    """The listening socket's accept-queue limit, as the kernel reports it (ss Send-Q)."""
    out = subprocess.run(
        ["ss", "-ltnH", f"sport = :{port}"], capture_output=True, text=True, check=False
    ).stdout
    for line in out.splitlines():
        fields = line.split()
        if len(fields) >= 3:
            return int(fields[2])
    return None


def settle(seconds: float) -> None:
    time.sleep(seconds)
