"""The live state across a lost AMI connection, against a real Asterisk 22.

The AMI event stream rebuilds the state from a snapshot (CoreShowChannels, QueueStatus)
after every login.  When Asterisk restarts, the calls it dropped must leave the state
(no ghost calls), and the stream must come back by itself and follow new calls.  When
only the AMI session is cut, the call that is still going on must be rebuilt from the
snapshot.  The calls here need no service: a talking desk phone (`samad-test-talking-desk`)
connected to a test caller through a Local channel stays up for minutes.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Sequence

import pytest

from samad_ivr.ami.client import AmiClient
from samad_ivr.live.hub import LiveHub
from samad_ivr.live.state import AmiEvent

from .conftest import AsteriskInstance, wait_for


class RecordingHub(LiveHub):
    """A LiveHub that keeps every snapshot and connection change it was given."""

    def __init__(self) -> None:
        super().__init__()
        self.snapshots: list[list[AmiEvent]] = []
        self.changes: list[bool] = []

    def snapshot(self, events: Sequence[AmiEvent]) -> None:
        self.snapshots.append(list(events))
        super().snapshot(events)

    def connection_changed(self, connected: bool) -> None:
        self.changes.append(connected)
        super().connection_changed(connected)


@pytest.fixture
def live_hub() -> RecordingHub:
    return RecordingHub()


async def hold_call(ami: AmiClient, caller: str) -> None:
    """A call that stays up: the talking desk phone rings `caller`, who answers."""
    await ami.originate(
        channel="Local/talk@samad-test-talking-desk",
        context="samad-test-caller",
        exten="speak",
        caller_id=f"<{caller}>",
        variables={"SAMAD_TEST_REPEATS": "1"},
        timeout_ms=10000,
    )


def legs(hub: LiveHub, caller: str) -> list[str]:
    """Unique ids of the channels in the live state that belong to `caller`'s call."""
    return [c.uniqueid for c in hub.state.channels.values() if c.caller_num == caller]


async def appears(hub: LiveHub, caller: str) -> list[str]:
    async def present() -> list[str]:
        return legs(hub, caller)

    found = await wait_for(present, 15, f"the call of {caller} in the live state")
    assert isinstance(found, list)
    return found


async def reconnected(hub: RecordingHub, seen: int, what: str) -> None:
    """Wait until the hub saw the connection drop (after `seen` changes) and come back."""

    async def back() -> bool:
        return False in hub.changes[seen:] and hub.connected

    await wait_for(back, 60, what)


def kick_ami_sessions(asterisk: AsteriskInstance) -> None:
    """Asterisk closes every AMI session of ours; Asterisk itself and its calls go on."""
    connected = asterisk.rx("manager show connected")
    descriptors = re.findall(r"^\s*samad\s+\S+\s+\d+\s+\d+\s+(\d+)\s", connected, re.MULTILINE)
    assert descriptors, f"no AMI session to cut:\n{connected}"
    for descriptor in descriptors:
        asterisk.rx(f"manager kick session {descriptor}")


async def hang_up_test_calls(ami: AmiClient) -> None:
    await ami.action({"Action": "Hangup", "Channel": "/^Local\\/talk@samad-test-talking-desk-/"})


async def test_calls_dropped_by_an_asterisk_restart_leave_the_state_and_new_calls_appear(
    asterisk: AsteriskInstance, ami: AmiClient, live: LiveHub
) -> None:
    assert isinstance(live, RecordingHub)
    await hold_call(ami, "09181234591")
    await appears(live, "09181234591")

    seen = len(live.changes)
    asterisk.stop()
    asterisk.start()
    await reconnected(live, seen, "the live state to reconnect after the restart")
    assert legs(live, "09181234591") == [], "a call lost in the restart is still shown"

    async def ami_up() -> bool:
        return ami.connected

    await wait_for(ami_up, 30, "the AMI client to log in again")
    try:
        await hold_call(ami, "09181234592")
        await appears(live, "09181234592")
    finally:
        await hang_up_test_calls(ami)


async def test_a_cut_ami_session_is_rebuilt_with_the_call_still_in_progress(
    asterisk: AsteriskInstance, ami: AmiClient, live: LiveHub
) -> None:
    assert isinstance(live, RecordingHub)
    try:
        await hold_call(ami, "09181234593")
        before = set(await appears(live, "09181234593"))

        seen, snapshots = len(live.changes), len(live.snapshots)
        kick_ami_sessions(asterisk)
        await reconnected(live, seen, "the live state to log in again after the cut")

        rebuilt = live.snapshots[snapshots:]
        assert rebuilt, "no snapshot was taken after the new login"
        in_snapshot = {e["uniqueid"] for e in rebuilt[-1] if e.get("calleridnum") == "09181234593"}
        assert in_snapshot == before
        assert set(legs(live, "09181234593")) == before
    finally:
        await hang_up_test_calls(ami)


async def test_a_snapshot_refused_while_app_queue_is_not_loaded_is_asked_for_again(
    asterisk: AsteriskInstance, ami: AmiClient, live: LiveHub
) -> None:
    """Right after a restart Asterisk logs AMI users in before app_queue is loaded and
    refuses QueueStatus; here the module is unloaded on purpose to hold that moment."""
    assert isinstance(live, RecordingHub)
    try:
        await hold_call(ami, "09181234594")
        before = set(await appears(live, "09181234594"))
        assert "Unloaded" in asterisk.rx("module unload app_queue.so")
        seen = len(live.changes)
        kick_ami_sessions(asterisk)

        async def cut() -> bool:
            return False in live.changes[seen:]

        await wait_for(cut, 10, "the live state to see the cut")
        await asyncio.sleep(4)  # logged in again, but QueueStatus is refused
        assert not live.connected
        assert "Loaded" in asterisk.rx("module load app_queue.so")
        await reconnected(live, seen, "the snapshot once app_queue is back")
        assert set(legs(live, "09181234594")) == before
    finally:
        if "app_queue.so" not in asterisk.rx("module show like app_queue"):
            asterisk.rx("module load app_queue.so")
        await hang_up_test_calls(ami)
