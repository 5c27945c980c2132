"""Persian position and wait announcements for callers waiting in the center's queue.

Asterisk's own announce-position speaks numbers with English grammar, and its periodic
announcements are fixed files.  Instead, from each QueueStatus the member sync reads,
every waiting caller whose turn has come (on entry, then every `every` seconds) hears
their place and estimated wait composed by `samad_ivr.domain.spoken`: the service
originates a Local channel whose one half plays the prompts and whose other half
whispers them into the caller's channel (ChanSpy `w`, dialplan [samad-queue-whisper]).
The caller never leaves the queue, so no one can overtake them while they listen.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from samad_ivr.ami.client import AmiError
from samad_ivr.domain.errors import NotSpeakable
from samad_ivr.domain.queue_members import estimated_wait_seconds
from samad_ivr.domain.spoken import queue_position_prompts

__all__ = ["QueueAnnouncer", "WaitingCaller", "waiting_callers"]

log = logging.getLogger(__name__)

WHISPER_CHANNEL = "Local/whisper@samad-queue-whisper"
_ABSENT_STATES = {"4", "5"}  # invalid, unavailable: not a desk that will answer


class _Ami(Protocol):
    async def action(
        self, fields: dict[str, str | list[str]], *, timeout: float | None = None
    ) -> object: ...


@dataclass(frozen=True, slots=True)
class WaitingCaller:
    uniqueid: str
    channel: str
    position: int
    wait_seconds: int


def waiting_callers(queue: str, messages: list[dict[str, str]]) -> list[WaitingCaller]:
    """The callers waiting in `queue` in a QueueStatus answer (QueueEntry events)."""
    callers = []
    for m in messages:
        if m.get("Event") != "QueueEntry" or m.get("Queue") != queue:
            continue
        try:
            callers.append(
                WaitingCaller(
                    uniqueid=m["Uniqueid"],
                    channel=m["Channel"],
                    position=int(m["Position"]),
                    wait_seconds=int(m.get("Wait", "0") or 0),
                )
            )
        except (KeyError, ValueError):
            log.warning("unreadable QueueEntry: %s", m)
    return callers


def _talk_and_desks(queue: str, messages: list[dict[str, str]]) -> tuple[float, int]:
    talk = 0.0
    desks = 0
    for m in messages:
        if m.get("Queue") != queue:
            continue
        if m.get("Event") == "QueueParams":
            talk = float(m.get("TalkTime", "0") or 0)
        elif (
            m.get("Event") == "QueueMember"
            and m.get("Status") not in _ABSENT_STATES
            and m.get("Paused", "0") != "1"
        ):
            desks += 1
    return talk, desks


class QueueAnnouncer:
    def __init__(
        self,
        ami: _Ami,
        *,
        every: float,
        clock: Callable[[], float] = time.monotonic,
        timeout: float = 5.0,
    ) -> None:
        self._ami = ami
        self._every = every
        self._clock = clock
        self._timeout = timeout
        self._last: dict[str, float] = {}  # uniqueid -> when they last heard it

    async def observe(self, queue: str, messages: list[dict[str, str]]) -> list[WaitingCaller]:
        """Announce to every waiting caller who is due; returns those announced to."""
        now = self._clock()
        callers = waiting_callers(queue, messages)
        waiting = {c.uniqueid for c in callers}
        for uid in [u for u in self._last if u not in waiting]:
            del self._last[uid]  # answered, gone or left for a message
        talk, desks = _talk_and_desks(queue, messages)
        due = [
            c
            for c in callers
            if c.uniqueid not in self._last or now - self._last[c.uniqueid] >= self._every
        ]
        for caller in due:
            self._last[caller.uniqueid] = now
            wait = estimated_wait_seconds(caller.position, desks, talk)
            try:
                prompts = queue_position_prompts(caller.position, wait)
                await self._whisper(caller.channel, prompts)
            except (AmiError, TimeoutError, NotSpeakable) as exc:
                log.warning("position not announced to %s (%s)", caller.uniqueid, exc)
        return due

    async def _whisper(self, channel: str, prompts: list[str]) -> None:
        await self._ami.action(
            {
                "Action": "Originate",
                "Channel": WHISPER_CHANNEL,
                "Application": "Playback",
                "Data": "&".join(prompts),
                "Variable": [f"SAMAD_SPY={channel}"],
                "CallerID": "<samad-queue>",
                "Timeout": str(int(self._timeout * 1000)),
                "Async": "true",
            },
            timeout=self._timeout + 2,
        )
