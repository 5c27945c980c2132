"""Run one figure in its own bounded process group; a failure is a result, not the end.

`run_figure` starts ``python -m benchmarks.runner`` (the child) in a new session, so the
figure and everything it starts — servers under test, load generators, `samad-ivr serve`
— share one process group.  The child imports the figure from `benchmarks.figures`,
runs it and writes its JSON to a file.  The parent waits at most the figure's timeout;
then, or when the child ended in any way, it kills what is left of the group (SIGTERM,
then SIGKILL), runs the figure's cleanup (an Asterisk instance daemonises out of the
group; databases the figure made under its tag are dropped) and returns the figure's
JSON or ``{"error": ..., "failed": true}`` with the reason.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import logging
import os
import signal
import subprocess
import sys
import tempfile
import time
import traceback
from contextlib import suppress
from pathlib import Path
from typing import Any

from benchmarks.figures import FIGURES, PREPARE, Context, Figure, fault

log = logging.getLogger("benchmarks")

PYTHON = sys.executable
REPO = Path(__file__).resolve().parents[1]
DB_TAG_ENV = "SAMAD_BENCH_DB_TAG"  # databases the figure makes are samad_bench_<tag>_<hex>
GRACE_S = 5.0


def run_figure(figure: Figure, ctx: Context, timeout: float) -> dict[str, Any]:
    """The figure's JSON, or its failure as `{"error": reason, "failed": True, ...}`."""
    tag = f"r{os.getpid()}{figure.name.lower()}"
    with tempfile.TemporaryDirectory(prefix="samad-bench-") as tmp:
        out = Path(tmp) / "result.json"
        spec = {"figure": figure.name, "quick": ctx.quick, "options": ctx.options,
                "previous": ctx.previous, "out": str(out)}  # fmt: skip
        started = time.monotonic()
        proc = subprocess.Popen(
            [PYTHON, "-m", "benchmarks.runner", json.dumps(spec)],
            cwd=REPO,
            env={**os.environ, DB_TAG_ENV: tag, "SAMAD_BENCH_FIGURE": figure.name},
            start_new_session=True,
        )
        timed_out = False
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            timed_out = True
        except BaseException:  # Ctrl-C: take the figure's processes down with us
            _kill_group(proc)
            raise
        killed = _kill_group(proc)
        elapsed = round(time.monotonic() - started, 1)
        _cleanup(figure, tag)
        if timed_out:
            return _failure(
                f"{figure.name} gave no result within {timeout:.0f} s; its process group "
                f"({killed} processes) was killed", elapsed, killed,
            )  # fmt: skip
        try:
            result: dict[str, Any] = json.loads(out.read_text())
        except (OSError, ValueError):
            return _failure(
                f"{figure.name} ended (exit status {proc.returncode}) without a result",
                elapsed, killed,
            )  # fmt: skip
    if "error" in result:
        result.update(failed=True, elapsed_s=elapsed, killed_processes=killed)
    elif killed:
        result["left_running_killed"] = killed  # a figure should stop what it starts
    return result


def _failure(reason: str, elapsed: float, killed: int) -> dict[str, Any]:
    log.error("%s", reason)
    return {"error": reason, "failed": True, "elapsed_s": elapsed, "killed_processes": killed}


def _group_members(pgid: int) -> list[int]:
    """Live processes of process group `pgid` (/proc/<pid>/stat, field 5)."""
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[-1].split()
        if len(fields) > 2 and int(fields[2]) == pgid and fields[0] != "Z":
            members.append(int(entry.name))
    return members


def _kill_group(proc: subprocess.Popen[bytes]) -> int:
    """SIGTERM the child's process group, SIGKILL what is left after a grace period;
    how many processes were still in it."""
    pgid = proc.pid  # start_new_session: the child leads its own group
    members = _group_members(pgid)
    if proc.poll() is None and proc.pid not in members:
        members.append(proc.pid)
    if members:
        with suppress(ProcessLookupError, PermissionError):
            os.killpg(pgid, signal.SIGTERM)
        deadline = time.monotonic() + GRACE_S
        while time.monotonic() < deadline and _group_members(pgid):
            proc.poll()
            time.sleep(0.1)
        with suppress(ProcessLookupError, PermissionError):
            os.killpg(pgid, signal.SIGKILL)
    try:
        proc.wait(timeout=GRACE_S)
    except subprocess.TimeoutExpired:
        log.error("benchmark child %d did not die", proc.pid)
    return len(members)


def _cleanup(figure: Figure, tag: str) -> None:
    if figure.cleanup is not None:
        try:
            figure.cleanup()
        except Exception:
            log.exception("%s: cleanup failed", figure.name)
    try:
        from benchmarks.db import drop_tagged

        dropped = asyncio.run(drop_tagged(tag))
    except Exception:
        log.exception("%s: dropping its databases failed", figure.name)
    else:
        if dropped:
            log.warning("%s: dropped %d databases it left behind", figure.name, dropped)


def _child(spec: dict[str, Any]) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", stream=sys.stderr)
    figure = PREPARE if spec["figure"] == PREPARE.name else FIGURES[spec["figure"]]
    ctx = Context(spec["quick"], spec["options"], spec["previous"])
    out = Path(spec["out"])
    try:
        if fault(figure.name) == "hang":
            _hang()
        result = figure.run(ctx)
        if inspect.isawaitable(result):
            result = asyncio.run(_awaited(result))
    except Exception as exc:
        log.error("%s failed:\n%s", figure.name, traceback.format_exc())
        out.write_text(json.dumps({"error": f"{type(exc).__name__}: {exc}"}))
        return 1
    out.write_text(json.dumps(result, ensure_ascii=False, default=str))
    return 0


async def _awaited(result: Any) -> Any:
    return await result


def _hang() -> None:
    """The injected fault `<figure>=hang`: start a server, then never finish."""
    from benchmarks.harness import Server

    server = Server("b0")
    log.warning("injected fault: figure hangs with server pid %d", server.pid)
    while True:
        time.sleep(60)


if __name__ == "__main__":
    raise SystemExit(_child(json.loads(sys.argv[1])))
