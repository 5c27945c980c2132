"""The live-state event stream against the fake AMI server: snapshots on every login,
a snapshot Asterisk refuses asked for again, events held back while a snapshot is taken."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from samad_ivr.ami.events import AmiEventStream
from samad_ivr.live.state import AmiEvent

from .conftest import FakeAmi, ami_settings, eventually

CHANNEL_A = {"Channel": "Local/111@samad-inbound-00000001;2", "Uniqueid": "1700000000.1"}
CHANNEL_B = {"Channel": "Local/111@samad-inbound-00000002;2", "Uniqueid": "1700000000.2"}


class Sink:
    def __init__(self) -> None:
        self.calls: list[tuple[str, Any]] = []

    def event(self, event: AmiEvent) -> None:
        self.calls.append(("event", event))

    def snapshot(self, events: list[AmiEvent]) -> None:
        self.calls.append(("snapshot", [e.get("uniqueid") or e.get("queue") for e in events]))

    def connection_changed(self, connected: bool) -> None:
        self.calls.append(("connected", connected))

    def of(self, kind: str) -> list[Any]:
        return [value for name, value in self.calls if name == kind]


@pytest.fixture
async def stream(
    fake_ami: tuple[FakeAmi, int],
) -> AsyncIterator[tuple[FakeAmi, AmiEventStream, Sink]]:
    """The fake (with call A up), a stream on it that is not started yet, and its sink."""
    fake, port = fake_ami
    fake.channels = [CHANNEL_A]
    sink = Sink()
    live = AmiEventStream(ami_settings(port), sink, action_timeout=2, retry_delays=(0.05,))
    try:
        yield fake, live, sink
    finally:
        live.close()


async def test_a_snapshot_asterisk_refuses_is_asked_for_again_until_it_answers(
    stream: tuple[FakeAmi, AmiEventStream, Sink],
) -> None:
    fake, live, sink = stream
    fake.queues = ["samad-desk"]
    fake.refuse_queue_status = 2  # app_queue still loading after a restart

    assert await live.start(timeout=5)
    assert fake.count("QueueStatus") == 3
    assert fake.logins == 1
    assert sink.calls == [("snapshot", ["1700000000.1", "samad-desk"]), ("connected", True)]


async def test_every_new_login_rebuilds_the_state_from_a_fresh_snapshot(
    stream: tuple[FakeAmi, AmiEventStream, Sink],
) -> None:
    fake, live, sink = stream
    assert await live.start(timeout=5)

    fake.channels = [CHANNEL_B]  # A ended and B began while we were cut off
    fake.drop_clients()
    await eventually(lambda: len(sink.of("snapshot")) == 2)
    await eventually(lambda: sink.of("connected") == [True, False, True])
    assert sink.of("snapshot") == [["1700000000.1"], ["1700000000.2"]]


async def test_events_that_arrive_during_a_snapshot_follow_it(
    stream: tuple[FakeAmi, AmiEventStream, Sink],
) -> None:
    fake, live, sink = stream
    fake.refuse_queue_status = 1

    def hang_up_a(action: dict[str, str]) -> None:
        # A hangs up after CoreShowChannels listed it, while the second attempt waits
        # for QueueStatus.
        if action.get("Action") == "QueueStatus" and fake.count("QueueStatus") == 2:
            fake.push(Event="Hangup", Uniqueid="1700000000.1", Channel=CHANNEL_A["Channel"])

    fake.before_reply = hang_up_a
    assert await live.start(timeout=5)

    kinds = [name for name, _ in sink.calls]
    assert kinds == ["snapshot", "event", "connected"]
    assert sink.of("event")[0]["event"] == "Hangup"
    assert sink.of("event")[0]["uniqueid"] == "1700000000.1"
