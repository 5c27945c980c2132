"""AMI events for the live state: a dedicated panoramisk connection behind a typed sink.

The connection only subscribes to the `call` and `agent` event classes.  After every
login (the first one and each reconnect) it asks Asterisk for a snapshot
(CoreShowChannels, QueueStatus) and hands it to the sink, so the state never drifts
after a lost connection.  Events that arrive while the snapshot is being taken are held
back and delivered after it.  Messages reach the sink as plain `dict[str, str]` with
lower-cased header names; panoramisk's objects never leave this module.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Protocol

from panoramisk import Manager

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


class EventSink(Protocol):
    def event(self, event: AmiEvent) -> None:
        """One live event, in the order Asterisk sent them."""

    def snapshot(self, events: list[AmiEvent]) -> None:
        """Everything Asterisk knows right now; replaces what the sink had."""

    def connection_changed(self, connected: bool) -> None:
        """The AMI connection went up (after its snapshot) or down."""


def _plain(message: Any) -> AmiEvent:
    return {str(k).lower(): str(v) for k, v in dict(message).items()}


class AmiEventStream:
    """Streams live-state events from AMI into `sink`, reconnecting by itself."""

    def __init__(
        self, settings: AmiSettings, sink: EventSink, *, action_timeout: float = 10.0
    ) -> None:
        self._settings = settings
        self._sink = sink
        self._action_timeout = action_timeout
        self._manager: Any = None
        self._held: list[AmiEvent] | None = None  # not None while a snapshot is taken
        self._snapshot_task: asyncio.Task[None] | None = None
        self._ready = asyncio.Event()

    async def start(self, timeout: float = 10.0) -> bool:
        """Connect; True once the first snapshot arrived within `timeout`.

        False means Asterisk is not reachable yet: the stream keeps retrying and the
        sink learns about it through `connection_changed`."""
        self._manager = Manager(
            host=self._settings.host,
            port=self._settings.port,
            username=self._settings.username,
            secret=self._settings.secret.value,
            events="call,agent",
            reconnect_timeout=2,
            ping_delay=10,
            loop=asyncio.get_running_loop(),
            on_login=self._on_login,
            on_disconnect=self._on_disconnect,
            log=log,
        )
        for name in LIVE_EVENTS:
            self._manager.register_event(name, self._on_event)
        self._manager.connect()
        try:
            await asyncio.wait_for(self._ready.wait(), timeout)
        except TimeoutError:
            log.warning("live state: no AMI snapshot within %ss; still trying", timeout)
            return False
        return True

    def _on_event(self, _manager: Any, message: Any) -> None:
        event = _plain(message)
        if self._held is not None:
            self._held.append(event)
        else:
            self._sink.event(event)

    def _on_login(self, _manager: Any) -> None:
        log.info("live state: AMI logged in, taking a snapshot")
        self._held = []
        if self._snapshot_task is not None:
            self._snapshot_task.cancel()
        self._snapshot_task = asyncio.get_running_loop().create_task(self._take_snapshot())

    def _on_disconnect(self, _manager: Any, exc: BaseException | None) -> None:
        log.warning("live state: AMI connection lost (%s)", exc)
        self._ready.clear()
        self._sink.connection_changed(False)

    async def _list_action(self, action: str) -> list[AmiEvent]:
        reply = await asyncio.wait_for(
            self._manager.send_action({"Action": action}, as_list=True), self._action_timeout
        )
        messages = reply if isinstance(reply, list) else [reply]
        return [_plain(m) for m in messages]

    async def _take_snapshot(self) -> None:
        try:
            messages = await self._list_action("CoreShowChannels")
            messages += await self._list_action("QueueStatus")
        except (TimeoutError, OSError, AttributeError) as exc:
            # AttributeError: panoramisk before its protocol is up; the next login retries.
            log.error("live state: AMI snapshot failed (%s)", exc)
            self._held = None
            return
        held, self._held = self._held or [], None
        self._sink.snapshot([m for m in messages if m.get("event") in SNAPSHOT_EVENTS])
        for event in held:
            self._sink.event(event)
        self._ready.set()
        self._sink.connection_changed(True)

    def close(self) -> None:
        if self._snapshot_task is not None:
            self._snapshot_task.cancel()
        if self._manager is not None:
            # panoramisk reconnects after any lost connection, even one we closed.
            self._manager.connect = lambda: None
            self._manager.on_disconnect = lambda *_args: None
            self._manager.close()
            self._manager = None
        self._ready.clear()
