"""The hub: views change only when the state does; slow browsers are dropped."""

from __future__ import annotations

from datetime import UTC, datetime

from samad_ivr.live.hub import LiveHub, Message
from samad_ivr.live.state import LiveState

T0 = datetime(2025, 4, 1, 6, 0, tzinfo=UTC)


def count_render(state: LiveState, connected: bool) -> list[Message]:
    return [{"type": "count", "channels": len(state.channels), "up": connected}]


def new_channel(uniqueid: str) -> dict[str, str]:
    return {"event": "Newchannel", "uniqueid": uniqueid, "channel": f"PJSIP/x-{uniqueid}"}


def test_a_subscriber_gets_the_current_view_then_only_changes() -> None:
    hub = LiveHub(clock=lambda: T0)
    sub = hub.subscribe(count_render, maxsize=10)
    assert sub.queue.qsize() == 1
    hub.event({"event": "VarSet", "uniqueid": "x"})
    assert sub.queue.qsize() == 1
    hub.event(new_channel("a"))
    assert sub.queue.qsize() == 2
    hub.snapshot([])
    hub.connection_changed(True)
    texts = [sub.queue.get_nowait() for _ in range(sub.queue.qsize())]
    assert texts[-1] == '{"channels": 0, "type": "count", "up": true}'


def test_a_browser_that_falls_behind_is_marked_for_dropping() -> None:
    hub = LiveHub(clock=lambda: T0)
    slow = hub.subscribe(count_render, maxsize=2)
    fast = hub.subscribe(count_render, maxsize=100)
    for n in range(5):
        hub.event(new_channel(str(n)))
    assert slow.overflowed.is_set()
    assert not fast.overflowed.is_set()
    assert fast.queue.qsize() == 6
    hub.unsubscribe(slow)
    assert hub.subscriber_count == 1
