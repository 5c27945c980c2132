"""E2's callers and their accounting, pure: who arrives when and behaves how, and what
became of each caller from the database rows (benchmarks/e2.py reads them).

A caller's plan is what a person would do: `callback` presses 1 when offered, `message`
presses 2 and speaks, `wait` keeps waiting, `patience` hangs up after their own patience
unless a desk answered.  A caller who is never offered anything just waits (the line was
short when they came).  Seeded, so every run places the same callers.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass

PLANS = ("callback", "message", "wait", "patience")
SHARES = {"callback": 0.40, "message": 0.25, "wait": 0.15, "patience": 0.20}
OUTCOMES = ("answered", "called_back", "callback_request", "message", "abandoned", "failed")


@dataclass(frozen=True, slots=True)
class Caller:
    index: int
    number: str  # national, as the caller ID
    at: float  # seconds after the first arrival
    plan: str
    patience: int  # seconds from the call's start (plan `patience` only; else 0)


def callers(n: int = 300, window: float = 60.0, seed: int = 13) -> list[Caller]:
    """`n` callers arriving uniformly at random within `window` seconds (the first at 0),
    plans in the proportions of SHARES, patience 45-150 s."""
    if n < 1 or window < 0:
        raise ValueError("n >= 1 and window >= 0")
    rng = random.Random(seed)
    times = sorted([0.0] + [rng.uniform(0, window) for _ in range(n - 1)])
    counts = {p: round(SHARES[p] * n) for p in PLANS}
    counts["wait"] += n - sum(counts.values())
    plans = [p for p in PLANS for _ in range(counts[p])]
    rng.shuffle(plans)
    return [
        Caller(i, f"0919{i:07d}", t, plan, rng.randint(45, 150) if plan == "patience" else 0)
        for i, (t, plan) in enumerate(zip(times, plans, strict=True))
    ]


@dataclass(frozen=True, slots=True)
class Rows:
    """One caller's rows: the inbound call and, if they asked for one, the callback."""

    inbound: str | None  # calls.disposition of the inbound call; None: no row / not ended
    inbound_route: str | None
    seconds: float | None  # the inbound call's length
    callback_status: str | None  # callbacks.status
    callback_call: str | None  # disposition of the callback conversation (route 'callback')
    callback_sms: bool  # a converted callback's request has its SMS


def outcome(caller: Caller, rows: Rows, slack: float = 5.0) -> tuple[str, str]:
    """What became of `caller`, and why it is failed when it is.  Abandoned counts only
    for a caller whose plan was to give up, after (about) their own patience."""
    if rows.inbound is None:
        return "failed", "no finished inbound call"
    if rows.inbound == "failed" or rows.inbound_route == "fallback":
        return "failed", f"inbound {rows.inbound} via {rows.inbound_route}"
    if rows.callback_status is not None:
        if caller.plan != "callback":
            return "failed", f"a {caller.plan} caller has a callback"
        if rows.callback_status == "reached":
            if rows.callback_call == "answered":
                return "called_back", ""
            if rows.callback_call == "message":
                return "message", ""
            return "failed", f"callback reached but its call is {rows.callback_call}"
        if rows.callback_status == "converted":
            return ("callback_request", "") if rows.callback_sms else ("failed", "no SMS")
        return "failed", f"callback still {rows.callback_status}"
    if rows.inbound == "answered":
        return "answered", ""
    if rows.inbound == "message":
        return "message", ""
    if caller.plan == "patience" and (rows.seconds or 0) >= caller.patience - slack:
        return "abandoned", ""
    return "failed", f"{caller.plan} caller abandoned after {rows.seconds} s"


def account(
    plan: list[Caller], rows: dict[str, Rows]
) -> tuple[dict[str, int], list[tuple[str, str]]]:
    """Outcome counts over every caller, and the failed ones (number, reason)."""
    counts: Counter[str] = Counter({o: 0 for o in OUTCOMES})
    failed = []
    empty = Rows(None, None, None, None, None, False)
    for caller in plan:
        what, why = outcome(caller, rows.get(caller.number, empty))
        counts[what] += 1
        if what == "failed":
            failed.append((caller.number, why))
    return dict(counts), failed
