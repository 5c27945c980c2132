"""The short soak: a few dozen real calls through Asterisk while every kind of fault is
injected once (samad-ivr SIGKILL and restart, PostgreSQL restart, Kannel down and back,
the AMI sessions cut), then the accounting of ``make soak`` must hold.

It runs the same command as ``make soak`` (``python -m benchmarks.soak``), smaller, with
its own stack (benchmarks.soak.stack): its own PostgreSQL cluster, Kannel and Asterisk
instance, named after the e2e instance with "-soak" and on the AMI/FastAGI ports one
above the e2e ones, so the e2e session's Asterisk is left alone.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
FAULTS = ["service_kill", "postgres_restart", "kannel_down", "ami_cut"]


def soak_env() -> dict[str, str]:
    if "SAMAD_TEST_AMI_PORT" in os.environ:
        ami = int(os.environ["SAMAD_TEST_AMI_PORT"]) + 1
        agi = int(os.environ.get("SAMAD_TEST_AGI_PORT", "4574")) + 1
    else:
        ami, agi = 5061, 4603
    return {
        **os.environ,
        "SAMAD_TEST_ASTERISK_INSTANCE": os.environ.get("SAMAD_TEST_ASTERISK_INSTANCE", "test")
        + "-soak",
        "SAMAD_TEST_AMI_PORT": str(ami),
        "SAMAD_TEST_AGI_PORT": str(agi),
    }


def test_no_call_request_sms_or_recording_is_lost_under_every_kind_of_fault(
    tmp_path: Path,
) -> None:
    out = tmp_path / "soak.json"
    args = ["--calls", "24", "--minutes", "0.75", "--cycles", "1", "--down", "4"]
    args += ["--kannel-down", "6", "--settle", "120", "--seed", "1414", "--out", str(out)]
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks.soak", *args],
        cwd=REPO,
        env=soak_env(),
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert out.exists(), proc.stderr[-4000:]
    result = json.loads(out.read_text("utf-8"))
    assert [f["fault"] for f in result["faults"]] == FAULTS
    kill = next(f for f in result["faults"] if f["fault"] == "service_kill")
    assert kill["agi_sessions_killed"] >= 1  # FastAGI sessions died in the middle
    cut = next(f for f in result["faults"] if f["fault"] == "ami_cut")
    assert cut["sessions_cut"] >= 3  # samad-ivr's two and the soak caller's
    assert cut["relogin_s"] < 30  # every one of them logged in again
    acc = result["accounting"]
    assert acc["problems"] == {}, acc["examples"]
    assert acc["holds"]
    assert proc.returncode == 0
    # Every call was placed and is in `calls`; the mix really went down each path.
    assert acc["placed"] == 24 == acc["in_calls"], result["unplaced"]
    assert result["channels_left"] == 0
    outcomes = acc["outcomes"]
    # (kind: route/disposition) the route of an answered call is the desk or the queue
    paths = (("desk", "answered"), ("message", "message"), ("hangup", "abandoned"))
    for kind, disposition in paths:
        assert any(k.startswith(f"{kind}: ") and k.endswith(f"/{disposition}") for k in outcomes)
    talking = sum(n for kind, n in result["calls"].items() if kind != "hangup")
    assert acc["requests"] == acc["tracking_sms"] == acc["gateway_sends"] == talking
