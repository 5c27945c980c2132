"""The registry of figures: every figure `python -m benchmarks` runs goes through here.

A figure is a `Figure(name, run, timeout_s, ...)`.  `benchmarks.runner` runs each one in
its own process group with that timeout, so a figure — or a baseline inside it — that
hangs, crashes or raises costs that figure alone: the runner kills the whole group (the
figure's servers and load generators with it), runs the figure's cleanup, records
`{"error": reason}` in the JSON and the table, and goes on with the next figure.

Adding a figure: write `async def run(ctx: Context) -> dict` (or a plain function) in its
module, add one `Figure` to `FIGURES` below with a timeout well above its normal running
time on a loaded box, and its rows to `benchmarks.report`.  Inside a figure, measure each
baseline through `benchmarks.harness.attempt` so that one failing baseline is a recorded
result beside the others rather than the end of the figure.
"""

from __future__ import annotations

import asyncio
import importlib.util
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

Result = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Context:
    """What a figure gets: the mode, the command-line options and earlier figures' JSON."""

    quick: bool
    options: dict[str, Any] = field(default_factory=dict)
    previous: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Figure:
    name: str
    run: Callable[[Context], Any]  # returns a Result, or an awaitable of one
    timeout_s: float  # full size, on a loaded 2-core box, with its data set still to build
    quick_timeout_s: float = 240.0
    quick: bool = True  # part of the smoke run (`--quick`)
    cleanup: Callable[[], None] | None = None  # after the figure's process group is gone
    # Its rows of the table: `rows(make_row, result) -> list[row]` (`benchmarks.report`);
    # without one, the table says the figure ran and its numbers are in the JSON.
    rows: Callable[[Callable[..., Result], Result], list[Result]] | None = None
    # Its data set (`benchmarks.db.Template`), built ahead by PREPARE beside the others'.
    template: Callable[[bool], Any] | None = None


def _sizes(ctx: Context) -> Any:
    from benchmarks import fastagi

    return fastagi.Sizes.for_mode(ctx.quick)


async def _with_database(ctx: Context, fn: Callable[..., Result], *args: Any) -> Result:
    from benchmarks.db import fresh_database

    async with fresh_database() as url:
        return await asyncio.to_thread(fn, _sizes(ctx), *args, url)


async def _f1(ctx: Context) -> Result:
    from benchmarks import fastagi

    return await _with_database(ctx, fastagi.f1_session_rate)


async def _f2(ctx: Context) -> Result:
    from benchmarks import fastagi

    b1 = ctx.previous.get("F1", {}).get("b1", {})
    rate = b1.get("sessions_per_s") or 1000.0  # half of B1's F1 rate, when F1 ran
    return await _with_database(ctx, fastagi.f2_turnaround, rate / 2)


def _f3(ctx: Context) -> Result:
    from benchmarks import fastagi

    return fastagi.f3_parked(_sizes(ctx))


def _f4(ctx: Context) -> Result:
    from benchmarks import fastagi

    return fastagi.f4_burst(_sizes(ctx))


def _f5(ctx: Context) -> Result:
    from benchmarks import fastagi

    return fastagi.f5_hangup(_sizes(ctx))


def _a1(ctx: Context) -> Result:
    from benchmarks import audio

    return audio.a1_postprocessing(ctx.quick)


async def _e1(ctx: Context) -> Result:
    from benchmarks import asterisk

    calls = [int(n) for n in str(ctx.options.get("e1_calls", "50,200")).split(",") if n]
    return await asterisk.e1_real_asterisk(calls)


def _e1_cleanup() -> None:
    from benchmarks import asterisk

    asterisk.stop_instance()


async def _e2(ctx: Context) -> Result:
    from benchmarks import e2

    return await e2.e2_rush_hour()


def _e2_rows(row: Callable[..., Result], result: Result) -> list[Result]:
    from benchmarks import e2

    return e2.e2_rows(row, result)


async def _w1(ctx: Context) -> Result:
    from benchmarks import w1

    return await w1.w1_web_api(ctx.quick)


async def _l1(ctx: Context) -> Result:
    from benchmarks import l1

    return await l1.l1_lifecycle(ctx.quick)


async def _w2(ctx: Context) -> Result:
    from benchmarks import w2

    return await w2.w2_national_search(ctx.quick)


def _w1_template(quick: bool) -> Any:
    from benchmarks import w1

    return w1.template(quick)


def _l1_template(quick: bool) -> Any:
    from benchmarks import l1

    return l1.template(quick)


def _w2_template(quick: bool) -> Any:
    from benchmarks import w2

    return w2.template(quick)


async def _prepare(ctx: Context) -> Result:
    """Build the data sets of the figures in `ctx.options["data_figures"]` that the dev
    cluster lacks, side by side: each build is one PostgreSQL backend, so two of them use
    both cores where one after the other would use one (W1, L1 and W2 take ~2, ~2.5 and
    ~6.5 min on their own).  Runs before those figures and after the CPU-pinned ones."""
    from benchmarks.db import ensure_template

    names = [n for n in ctx.options.get("data_figures", []) if FIGURES[n].template]
    templates = [FIGURES[n].template(ctx.quick) for n in names]  # type: ignore[misc]
    built = await asyncio.gather(*(ensure_template(t) for t in templates), return_exceptions=True)
    out: Result = {}
    for name, outcome in zip(names, built, strict=True):
        if isinstance(outcome, BaseException):
            out[name] = {"error": f"{type(outcome).__name__}: {outcome}"}
        else:
            out[name] = {"built": outcome is not None, **(outcome or {})}
    return out


async def _i1(ctx: Context) -> Result:
    from benchmarks import i1  # type: ignore[attr-defined,unused-ignore]

    result: Result = await i1.run(ctx)
    return result


def _i1_rows(row: Callable[..., Result], result: Result) -> list[Result]:
    from benchmarks import i1  # type: ignore[attr-defined,unused-ignore]

    rows: list[Result] = i1.i1_rows(row, result)
    return rows


def _s1(ctx: Context) -> Result:
    from benchmarks import s1  # type: ignore[attr-defined,unused-ignore]

    result: Result = s1.s1_transcription(ctx.quick)
    return result


def _s1_rows(row: Callable[..., Result], result: Result) -> list[Result]:
    from benchmarks import s1  # type: ignore[attr-defined,unused-ignore]

    rows: list[Result] = s1.s1_rows(row, result)
    return rows


def _present(module: str) -> bool:
    """Figures other changes add register here once their module is in the tree."""
    return importlib.util.find_spec(module) is not None


FIGURES: dict[str, Figure] = {
    f.name: f
    for f in (
        Figure("F1", _f1, 600),
        Figure("F2", _f2, 600),
        Figure("F3", _f3, 480),
        Figure("F4", _f4, 240),
        Figure("F5", _f5, 360),
        Figure("A1", _a1, 300),
        Figure("E1", _e1, 900, quick=False, cleanup=_e1_cleanup),
        Figure("E2", _e2, 480, quick=False, cleanup=_e1_cleanup, rows=_e2_rows),
        Figure("W1", _w1, 900, template=_w1_template),
        Figure("L1", _l1, 1200, template=_l1_template),
        Figure("W2", _w2, 1500, template=_w2_template),
        *([Figure("I1", _i1, 600, rows=_i1_rows)] if _present("benchmarks.i1") else []),
        *([Figure("S1", _s1, 600, rows=_s1_rows)] if _present("benchmarks.s1") else []),
    )
}
ALL = tuple(FIGURES)
PREPARE = Figure("prepare", _prepare, 1800)


def timeout_for(figure: Figure, quick: bool, overrides: dict[str, float]) -> float:
    if figure.name in overrides:
        return overrides[figure.name]
    return figure.quick_timeout_s if quick else figure.timeout_s


def fault(key: str) -> str | None:
    """The injected fault of a server kind (`b2`) in the running figure (`F3.b2`, or any
    figure), or of a figure (`F4`)."""
    table = faults()
    figure = os.environ.get("SAMAD_BENCH_FIGURE", "")
    return table.get(f"{figure}.{key}") or table.get(key)


def faults() -> dict[str, str]:
    """Injected faults for the harness's own tests: SAMAD_BENCH_FAULTS="F3.b2=hang,F4=hang"
    (a server kind that crashes once it listens or never answers, a figure that hangs).
    Never set in a real run; the JSON records it when it is."""
    spec = os.environ.get("SAMAD_BENCH_FAULTS", "")
    out: dict[str, str] = {}
    for item in spec.split(","):
        if "=" in item:
            key, value = item.split("=", 1)
            out[key.strip()] = value.strip()
    return out
