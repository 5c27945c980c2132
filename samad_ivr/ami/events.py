"""AMI events for the live state: a dedicated panoramisk connection behind a typed sink.

The connection only subscribes to the `call` and `agent` event classes.  After every
login (the first one and each reconnect) it asks Asterisk for a snapshot
(CoreShowChannels, QueueStatus) and hands it to the sink, so the state never drifts
after a lost connection.  A snapshot Asterisk refuses (right after a restart it logs us
in before app_queue is loaded) is asked for again until it succeeds.  Events that arrive
while the snapshot is being taken are held back and delivered after it.  Messages reach
the sink as plain `dict[str, str]` with lower-cased header names; panoramisk's objects
never leave this module.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Protocol

from samad_ivr.ami.manager import AmiError, close_manager, list_action, open_manager
from samad_ivr.settings import AmiSettings

log = logging.getLogger(__name__)

AmiEvent = dict[str, str]

LIVE_EVENTS = (
    "Newchannel",
    "Newstate",
    "NewCallerid",
    "Hangup",
    "DialBegin",
    "DialEnd",
    "BridgeEnter",
    "BridgeLeave",
    "QueueCallerJoin",
    "QueueCallerLeave",
    "QueueCallerAbandon",
)
SNAPSHOT_EVENTS = frozenset({"CoreShowChannel", "QueueParams", "QueueEntry"})
SNAPSHOT_RETRY_SECONDS = (1.0, 2.0, 5.0, 10.0)  # then every 10 s while logged in


class EventSink(Protocol):
    def event(self, event: AmiEvent) -> None:
        """One live event, in the order Asterisk sent them."""

    def snapshot(self, events: list[AmiEvent]) -> None:
        """Everything Asterisk knows right now; replaces what the sink had."""

    def connection_changed(self, connected: bool) -> None:
        """The AMI connection went up (after its snapshot) or down."""


def _lower(message: Any) -> AmiEvent:
    return {str(k).lower(): str(v) for k, v in dict(message).items()}


class AmiEventStream:
    """Streams live-state events from AMI into `sink`, reconnecting by itself."""

    def __init__(
        self,
        settings: AmiSettings,
        sink: EventSink,
        *,
        action_timeout: float = 10.0,
        retry_delays: tuple[float, ...] = SNAPSHOT_RETRY_SECONDS,
    ) -> None:
        self._settings = settings
        self._sink = sink
        self._action_timeout = action_timeout
        self._retry_delays = retry_delays
        self._manager: Any = None
        self._held: list[AmiEvent] | None = None  # not None while a snapshot is taken
        self._snapshot_task: asyncio.Task[None] | None = None
        self._ready = asyncio.Event()

    async def start(self, timeout: float = 10.0) -> bool:
        """Connect; True once the first snapshot arrived within `timeout`.

        False means Asterisk is not reachable yet: the stream keeps retrying and the
        sink learns about it through `connection_changed`."""
        self._manager = open_manager(
            self._settings,
            events="call,agent",
            on_login=self._on_login,
            on_disconnect=self._on_disconnect,
            log=log,
        )
        for name in LIVE_EVENTS:
            self._manager.register_event(name, self._on_event)
        try:
            await asyncio.wait_for(self._ready.wait(), timeout)
        except TimeoutError:
            log.warning("live state: no AMI snapshot within %ss; still trying", timeout)
            return False
        return True

    def _on_event(self, _manager: Any, message: Any) -> None:
        event = _lower(message)
        if self._held is not None:
            self._held.append(event)
        else:
            self._sink.event(event)

    def _on_login(self) -> None:
        log.info("live state: AMI logged in, taking a snapshot")
        self._held = []
        self._cancel_snapshot()
        self._snapshot_task = asyncio.get_running_loop().create_task(self._take_snapshot())

    def _on_disconnect(self, exc: BaseException | None) -> None:
        log.warning("live state: AMI connection lost (%s)", exc)
        # A snapshot of the lost connection would never be answered; the next login
        # takes a new one.
        self._cancel_snapshot()
        self._held = None
        self._ready.clear()
        self._sink.connection_changed(False)

    def _cancel_snapshot(self) -> None:
        if self._snapshot_task is not None:
            self._snapshot_task.cancel()
            self._snapshot_task = None

    async def _list_action(self, action: str) -> list[AmiEvent]:
        messages = await list_action(self._manager, {"Action": action}, self._action_timeout)
        return [_lower(m) for m in messages]

    async def _snapshot_events(self) -> list[AmiEvent]:
        """CoreShowChannels and QueueStatus, asked again until Asterisk answers both."""
        attempt = 0
        while True:
            # Events from before this attempt are part of its answer: hold only newer ones.
            self._held = []
            try:
                messages = await self._list_action("CoreShowChannels")
                messages += await self._list_action("QueueStatus")
            except AmiError as exc:
                delay = self._retry_delays[min(attempt, len(self._retry_delays) - 1)]
                log.warning("live state: AMI snapshot failed (%s); again in %ss", exc, delay)
                attempt += 1
                await asyncio.sleep(delay)
                continue
            return [m for m in messages if m.get("event") in SNAPSHOT_EVENTS]

    async def _take_snapshot(self) -> None:
        snapshot = await self._snapshot_events()
        held, self._held = self._held or [], None
        self._sink.snapshot(snapshot)
        for event in held:
            self._sink.event(event)
        self._ready.set()
        self._sink.connection_changed(True)

    def close(self) -> None:
        self._cancel_snapshot()
        if self._manager is not None:
            close_manager(self._manager)
            self._manager = None
        self._ready.clear()
