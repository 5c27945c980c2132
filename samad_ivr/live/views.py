"""What one desk, and the queue board, look like in a live state (pure projections)."""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from samad_ivr.domain.phone import display_phone
from samad_ivr.live.state import Channel, LiveState

DeskStatus = Literal["idle", "ringing", "busy"]

# Asterisk names a channel <endpoint>-<8 hex digits>, and the two halves of a Local
# channel add ;1 / ;2.
_CHANNEL_SUFFIX = re.compile(r"-[0-9a-f]{8}(;[12])?$")
_RINGING_STATES = frozenset({"Ring", "Ringing"})


def endpoint_of(channel_name: str) -> str:
    """`PJSIP/desk-1-0000000a` -> `PJSIP/desk-1`; `Local/x@ctx-0000000b;1` -> `Local/x@ctx`."""
    return _CHANNEL_SUFFIX.sub("", channel_name)


def desk_endpoint(configured: str) -> str:
    """An official's stored desk endpoint as it appears in channel names (no `/n`)."""
    return configured.removesuffix("/n")


@dataclass(frozen=True, slots=True)
class DeskView:
    endpoint: str
    status: DeskStatus
    # The caller's side of the call at the desk: the Dial's source channel when known,
    # and the linkedid that every leg of the call shares (queue legs included).
    uniqueid: str | None = None
    linkedid: str | None = None
    caller_num: str | None = None
    since: datetime | None = None


def _desk_channels(state: LiveState, endpoint: str) -> list[Channel]:
    wanted = desk_endpoint(endpoint)
    # For a Local desk only the ;1 half is the desk itself; ;2 runs its dialplan.
    return [
        c
        for c in state.channels.values()
        if endpoint_of(c.name) == wanted and not c.name.endswith(";2")
    ]


def desk_view(state: LiveState, endpoint: str) -> DeskView:
    """Busy when a desk channel is up, ringing when one is being dialled, else idle."""
    channels = sorted(_desk_channels(state, endpoint), key=lambda c: c.created_at)
    up = [c for c in channels if c.state == "Up" or c.bridge_id is not None]
    ringing = [
        c
        for c in channels
        if c not in up and (c.uniqueid in state.dials or c.state in _RINGING_STATES)
    ]
    found: tuple[DeskStatus, list[Channel]]
    for found in (("busy", up), ("ringing", ringing)):
        status, matches = found
        if matches:
            channel = matches[0]
            dial = state.dials.get(channel.uniqueid)
            return DeskView(
                endpoint=endpoint,
                status=status,
                uniqueid=dial.source_uniqueid if dial else None,
                linkedid=dial.linkedid if dial else channel.linkedid,
                caller_num=dial.caller_num if dial else None,
                since=dial.started_at if dial else channel.created_at,
            )
    return DeskView(endpoint=endpoint, status="idle")


@dataclass(frozen=True, slots=True)
class WaitingCaller:
    uniqueid: str
    linkedid: str
    number: str  # formatted for display
    joined_at: datetime
    wait_seconds: int


@dataclass(frozen=True, slots=True)
class PendingCallback:
    """A caller who chose to be called back (samad_ivr.live.callback_feed): still in line."""

    number: str  # formatted for display
    queued_at: datetime  # their place in the line: when they first joined the queue
    attempts: int
    ringing: bool  # an attempt is ringing the citizen now
    next_attempt_at: datetime


@dataclass(frozen=True, slots=True)
class QueueBoard:
    queue: str
    callers: tuple[WaitingCaller, ...]
    callbacks: tuple[PendingCallback, ...] = ()

    @property
    def longest_wait_seconds(self) -> int:
        return max((c.wait_seconds for c in self.callers), default=0)


def queue_boards(
    state: LiveState,
    now: datetime,
    queues: Collection[str] | None = None,
    callbacks: Mapping[str, tuple[PendingCallback, ...]] | None = None,
) -> list[QueueBoard]:
    """Callers waiting in each queue (all queues when `queues` is None), longest first,
    with the callbacks still in its line (in arrival order)."""
    callbacks = callbacks or {}
    names = sorted({*state.queues, *callbacks}) if queues is None else sorted(queues)
    boards = []
    for name in names:
        callers = tuple(
            WaitingCaller(
                uniqueid=c.uniqueid,
                linkedid=c.linkedid,
                number=display_phone(c.caller_num),
                joined_at=c.joined_at,
                wait_seconds=max(0, int((now - c.joined_at).total_seconds())),
            )
            for c in sorted(state.queues.get(name, ()), key=lambda c: c.joined_at)
        )
        boards.append(QueueBoard(name, callers, callbacks.get(name, ())))
    return boards
