"""E2's caller plan and its accounting (benchmarks/e2_plan.py): pure, no Asterisk."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

# tests/benchmarks shadows the repository's benchmarks package on pytest's path.
_PATH = Path(__file__).parents[2] / "benchmarks" / "e2_plan.py"
_SPEC = importlib.util.spec_from_file_location("samad_bench_e2_plan", _PATH)
assert _SPEC is not None
assert _SPEC.loader is not None
e2_plan = importlib.util.module_from_spec(_SPEC)
sys.modules[_SPEC.name] = e2_plan
_SPEC.loader.exec_module(e2_plan)
PLANS, Caller, Rows = e2_plan.PLANS, e2_plan.Caller, e2_plan.Rows
account, callers, outcome = e2_plan.account, e2_plan.callers, e2_plan.outcome


def test_the_plan_is_300_callers_within_60_s_in_every_kind_and_repeatable() -> None:
    plan = callers(300, 60.0)
    assert len(plan) == 300
    assert plan[0].at == 0.0
    assert all(0.0 <= c.at <= 60.0 for c in plan)
    assert [c.at for c in plan] == sorted(c.at for c in plan)
    assert len({c.number for c in plan}) == 300
    kinds = {p: sum(1 for c in plan if c.plan == p) for p in PLANS}
    assert kinds == {"callback": 120, "message": 75, "wait": 45, "patience": 60}
    assert all(45 <= c.patience <= 150 for c in plan if c.plan == "patience")
    assert all(c.patience == 0 for c in plan if c.plan != "patience")
    assert callers(300, 60.0) == plan
    assert callers(300, 60.0, seed=14) != plan


def rows(inbound: str | None = "abandoned", seconds: float = 60.0, **kw: object) -> Rows:
    fields: dict[str, object] = {
        "inbound": inbound, "inbound_route": "queue", "seconds": seconds,
        "callback_status": None, "callback_call": None, "callback_sms": False,
    }  # fmt: skip
    fields.update(kw)
    return Rows(**fields)  # type: ignore[arg-type]


def caller(plan: str, patience: int = 0) -> Caller:
    return Caller(0, "09190000000", 0.0, plan, patience)


def test_each_ending_is_accounted_from_the_rows() -> None:
    assert outcome(caller("wait"), rows("answered")) == ("answered", "")
    assert outcome(caller("message"), rows("message")) == ("message", "")
    # the queue's wait ran out and the waiting caller left a message
    assert outcome(caller("wait"), rows("message")) == ("message", "")
    cb = caller("callback")
    assert outcome(cb, rows(callback_status="reached", callback_call="answered"))[0] == (
        "called_back"
    )
    assert outcome(cb, rows(callback_status="converted", callback_sms=True))[0] == (
        "callback_request"
    )
    assert outcome(caller("patience", 80), rows(seconds=79.0))[0] == "abandoned"


def test_what_is_not_the_callers_own_choice_is_failed() -> None:
    assert outcome(caller("wait"), rows(None))[0] == "failed"  # no finished row
    assert outcome(caller("wait"), rows("abandoned"))[0] == "failed"  # dropped
    assert outcome(caller("patience", 120), rows(seconds=60.0))[0] == "failed"  # too early
    assert outcome(caller("wait"), rows("failed"))[0] == "failed"
    assert outcome(caller("message"), rows("message", inbound_route="fallback"))[0] == "failed"
    cb = caller("callback")
    assert outcome(cb, rows(callback_status="pending"))[0] == "failed"
    assert outcome(cb, rows(callback_status="converted", callback_sms=False))[0] == "failed"
    assert outcome(cb, rows(callback_status="reached", callback_call="abandoned"))[0] == ("failed")
    assert outcome(caller("wait"), rows(callback_status="reached"))[0] == "failed"


def test_account_counts_every_caller_once() -> None:
    plan = callers(6, 5.0)
    got = {plan[0].number: rows("answered")}
    counts, failed = account(plan, got)
    assert sum(counts.values()) == 6
    assert counts["answered"] == 1
    assert counts["failed"] == 5
    assert [n for n, _ in failed] == [c.number for c in plan[1:]]
