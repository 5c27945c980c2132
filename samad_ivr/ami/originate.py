"""Outbound calls: ring a citizen through AMI Originate and learn how it went.

Reusable for every callback the hotline places (satisfaction questions now, others
later): the caller builds an `OutboundCall` (the dial string, the dialplan place the
answered call runs, channel variables) and `AmiOriginator.place` returns once Asterisk
knows whether the phone was answered, was busy, rang out or failed.  The channel's
unique id is ours (`ChannelId`), chosen before the call, so the attempt row written
before ringing and the call's own AGI steps and recording name the same call.

A lost Originate is never sent again after an AMI reconnect (samad_ivr.ami.manager), so
a callback rings at most once per attempt.
"""

from __future__ import annotations

import logging
import re
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol

from samad_ivr.ami.client import AmiClient, AmiError

__all__ = ["AmiOriginator", "CallResult", "Originator", "OutboundCall", "new_channel_id"]

log = logging.getLogger(__name__)

# Asterisk's OriginateResponse `Reason`: the last control frame seen on the channel.
_REASONS = {"4": "answered", "5": "busy", "8": "busy", "3": "no_answer", "1": "no_answer"}
_VALUE_RE = re.compile(r"[^\r\n;,|]{0,200}")
# Beyond the ring time: Asterisk's own set-up and the OriginateResponse's way back.
MARGIN_SECONDS = 15.0


class CallResult(StrEnum):
    ANSWERED = "answered"
    BUSY = "busy"  # busy or congestion
    NO_ANSWER = "no_answer"  # rang out, or hung up while ringing
    FAILED = "failed"  # no channel (bad dial string, trunk down, AMI down)


def new_channel_id() -> str:
    """A unique id in Asterisk's own shape (epoch.sequence), unlikely to clash with one."""
    return f"{int(time.time())}.{secrets.randbelow(10**9) + 10**9}"


@dataclass(frozen=True, slots=True)
class OutboundCall:
    dial: str  # the Originate channel, e.g. PJSIP/09121234567@trunk or Local/x@ctx
    context: str  # where the answered call runs
    exten: str
    caller_id: str
    ring_seconds: int
    channel_id: str = field(default_factory=new_channel_id)
    variables: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # Values end up in AMI header lines and dialplan expressions: no line breaks,
        # no argument separators.
        fixed = (self.dial, self.context, self.exten, self.caller_id)
        for value in (*fixed, *self.variables.values()):
            if not _VALUE_RE.fullmatch(value):
                raise ValueError(f"unsafe value in an outbound call: {value!r}")
        for name in self.variables:
            if not re.fullmatch(r"[A-Z_][A-Z0-9_]{0,40}", name):
                raise ValueError(f"unsafe variable name {name!r}")


class Originator(Protocol):
    """Places one outbound call (a fake in tests)."""

    async def place(self, call: OutboundCall) -> CallResult: ...


class AmiOriginator:
    def __init__(self, ami: AmiClient) -> None:
        self._ami = ami

    async def place(self, call: OutboundCall) -> CallResult:
        fields: dict[str, str | list[str]] = {
            "Action": "Originate",
            "Channel": call.dial,
            "Context": call.context,
            "Exten": call.exten,
            "Priority": "1",
            "CallerID": call.caller_id,
            "Timeout": str(call.ring_seconds * 1000),
            "ChannelId": call.channel_id,
            "Async": "true",
        }
        if call.variables:
            fields["Variable"] = [f"{k}={v}" for k, v in call.variables.items()]
        try:
            response = await self._ami.action(fields, timeout=call.ring_seconds + MARGIN_SECONDS)
        except AmiError as exc:
            log.warning("originate %s failed: %s", call.channel_id, exc)
            return CallResult.FAILED
        if response.success:
            return CallResult.ANSWERED
        reason = response.headers.get("Reason", "")
        result = CallResult(_REASONS.get(reason, "failed"))
        log.info("originate %s: %s (reason %s)", call.channel_id, result, reason or "-")
        return result
