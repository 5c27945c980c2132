"""The soak's callers: a seeded mix of calls, placed with AMI Originate at a steady pace.

Each call is a Local channel whose one half is a test caller (tests/e2e/extensions_test.conf)
and whose other half enters the hotline exactly as a trunk call would.  Kinds:

- ``desk``: the official on duty answers (samad-soak-desk "answer"), talks, hangs up; the
  caller hears the tracking code.
- ``message``: the desk rings out, the queue times out, the caller leaves a message.
- ``hangup``: the caller hangs up during the greeting.

Talking callers speak their request five times (about a minute), so whichever path a fault
sends them down (the classic fallback, the spool) they still leave a message.  Every caller
has its own number, which is how the accounting finds its call.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from dataclasses import dataclass, field

from samad_ivr.ami.client import AmiClient, AmiError

log = logging.getLogger(__name__)

KINDS = (("desk", 5), ("message", 3), ("hangup", 2))
ORIGINATE_TIMEOUT_MS = 20000
RECONNECT_WAIT_S = 15.0


@dataclass
class PlannedCall:
    number: str
    kind: str
    at: float  # seconds after the start of placement
    placed: bool | None = None  # None: sent but the answer was lost (AMI cut)
    error: str = ""

    @property
    def wants_request(self) -> bool:
        return self.kind != "hangup"

    @property
    def e164(self) -> str:
        return "+98" + self.number[1:]


@dataclass
class Plan:
    calls: list[PlannedCall]
    seed: int
    window_s: float
    placed_at: dict[str, float] = field(default_factory=dict)

    @classmethod
    def make(cls, count: int, window_s: float, seed: int) -> Plan:
        rng = random.Random(seed)
        kinds = [kind for kind, weight in KINDS for _ in range(weight)]
        prefix = f"0919{seed % 100:02d}"
        step = window_s / max(count, 1)
        calls = [
            PlannedCall(number=f"{prefix}{i:05d}", kind=rng.choice(kinds), at=i * step)
            for i in range(count)
        ]
        return cls(calls=calls, seed=seed, window_s=window_s)

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for call in self.calls:
            out[call.kind] = out.get(call.kind, 0) + 1
        return out


def _originate_fields(call: PlannedCall) -> tuple[str, dict[str, str]]:
    if call.kind == "hangup":
        return "hangup-early", {}
    desk = "answer" if call.kind == "desk" else "noanswer"
    return "speak", {"SAMAD_TEST_REPEATS": "5", "_SOAK_DESK": desk}


async def _wait_connected(ami: AmiClient, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while not ami.connected:
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.2)
    return True


async def place_one(ami: AmiClient, call: PlannedCall) -> None:
    """Originate one call.  Not connected (the AMI cut): wait for panoramisk's reconnect
    and try again, since nothing was sent.  Sent but unanswered: the call may exist, so
    it is never sent twice; the accounting looks it up by its number."""
    exten, variables = _originate_fields(call)
    for _attempt in range(3):
        if not await _wait_connected(ami, RECONNECT_WAIT_S):
            call.placed, call.error = False, "AMI not connected"
            return
        try:
            await ami.originate(
                channel="Local/111@samad-inbound",
                context="samad-test-caller",
                exten=exten,
                caller_id=f"<{call.number}>",
                variables=variables,
                timeout_ms=ORIGINATE_TIMEOUT_MS,
            )
        except AmiError as exc:
            if "not connected" in str(exc):
                continue
            call.placed, call.error = False, str(exc)
            return
        except (TimeoutError, ConnectionError, OSError) as exc:
            call.placed, call.error = None, f"{type(exc).__name__}: {exc}"
            return
        call.placed = True
        return
    call.placed, call.error = False, "AMI not connected"


async def place_all(ami: AmiClient, plan: Plan) -> None:
    """Place every call at its time; returns when every Originate has its answer."""
    loop = asyncio.get_running_loop()
    start = loop.time()
    tasks: list[asyncio.Task[None]] = []
    for call in plan.calls:
        delay = start + call.at - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        plan.placed_at[call.number] = round(loop.time() - start, 2)
        tasks.append(asyncio.create_task(place_one(ami, call)))
    await asyncio.gather(*tasks)


async def soak_channels(ami: AmiClient, prefix: str) -> int:
    """Channels still up that belong to the soak's callers (or -1 if AMI cannot tell)."""
    try:
        messages = await ami.action_list({"Action": "CoreShowChannels"}, timeout=10)
    except (AmiError, TimeoutError):
        return -1
    return sum(
        1
        for m in messages
        if m.get("Event") == "CoreShowChannel"
        and (m.get("CallerIDNum", "").startswith(prefix)
             or m.get("ConnectedLineNum", "").startswith(prefix))
    )  # fmt: skip
