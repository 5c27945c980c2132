"""The live state in the running service, and the browsers that watch it.

`LiveHub` is the `EventSink` of the AMI event stream: it folds events into a `LiveState`
with the pure reducer and, when something changed, offers the new state to every
subscriber.  A subscriber renders its own view (one desk, some queues) and queues only
messages that differ from the last ones it sent.  Its queue is bounded: a browser that
does not keep up is marked `overflowed` and its connection is dropped, so one slow
client can never hold memory or delay the others.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from samad_ivr.live.state import EMPTY, AmiEvent, LiveState, rebuild, reduce
from samad_ivr.live.views import PendingCallback

log = logging.getLogger(__name__)

Message = dict[str, Any]
Render = Callable[[LiveState, bool], list[Message]]
Clock = Callable[[], datetime]


def _utc_now() -> datetime:
    return datetime.now(UTC)


class Subscriber:
    """One watching browser: its renderer and its bounded queue of JSON texts."""

    def __init__(self, render: Render, maxsize: int) -> None:
        self.render = render
        self.queue: asyncio.Queue[str] = asyncio.Queue(maxsize=maxsize)
        self.overflowed = asyncio.Event()
        self._last: dict[str, str] = {}

    def offer(self, state: LiveState, connected: bool) -> None:
        if self.overflowed.is_set():
            return
        for message in self.render(state, connected):
            text = json.dumps(message, ensure_ascii=False, sort_keys=True)
            kind = str(message.get("type", ""))
            if self._last.get(kind) == text:
                continue
            try:
                self.queue.put_nowait(text)
            except asyncio.QueueFull:
                self.overflowed.set()
                return
            self._last[kind] = text


class LiveHub:
    """Current live state plus its watchers; fed by `samad_ivr.ami.events.AmiEventStream`."""

    def __init__(self, clock: Clock = _utc_now) -> None:
        self._clock = clock
        self.state: LiveState = EMPTY
        self.connected = False
        # queue name -> callbacks still in its line, from the database (live/callback_feed.py)
        self.callbacks: Mapping[str, tuple[PendingCallback, ...]] = {}
        self._subscribers: set[Subscriber] = set()

    # EventSink
    def event(self, event: AmiEvent) -> None:
        new = reduce(self.state, event, self._clock())
        if new is not self.state:
            self.state = new
            self._notify()

    def snapshot(self, events: Sequence[AmiEvent]) -> None:
        self.state = rebuild(events, self._clock())
        log.info(
            "live state rebuilt: %s channels, %s queue callers",
            len(self.state.channels),
            sum(len(c) for c in self.state.queues.values()),
        )
        self._notify()

    def connection_changed(self, connected: bool) -> None:
        if connected != self.connected:
            self.connected = connected
            self._notify()

    def callbacks_changed(self, callbacks: Mapping[str, tuple[PendingCallback, ...]]) -> None:
        if callbacks != self.callbacks:
            self.callbacks = callbacks
            self._notify()

    def now(self) -> datetime:
        return self._clock()

    def subscribe(self, render: Render, maxsize: int = 32) -> Subscriber:
        subscriber = Subscriber(render, maxsize)
        self._subscribers.add(subscriber)
        subscriber.offer(self.state, self.connected)
        return subscriber

    def unsubscribe(self, subscriber: Subscriber) -> None:
        self._subscribers.discard(subscriber)

    @property
    def subscriber_count(self) -> int:
        return len(self._subscribers)

    def _notify(self) -> None:
        for subscriber in list(self._subscribers):
            try:
                subscriber.offer(self.state, self.connected)
            except Exception:
                # A renderer bug must not stop the AMI stream or the other browsers.
                log.exception("live view rendering failed; dropping that browser")
                subscriber.overflowed.set()
