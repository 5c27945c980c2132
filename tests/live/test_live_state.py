"""The live-state reducer and desk/queue projections, from AMI events (no Asterisk)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from samad_ivr.live.state import EMPTY, LiveState, rebuild, reduce
from samad_ivr.live.views import desk_view, endpoint_of, queue_boards

T0 = datetime(2025, 4, 1, 6, 0, tzinfo=UTC)
DESK = "Local/noanswer@samad-test-desk"
CALLER = "1700000000.10"
DESK_LEG = "1700000000.12"


def ev(name: str, **fields: str) -> dict[str, str]:
    return {"event": name, **{k.lower(): v for k, v in fields.items()}}


def fold(*events: dict[str, str], state: LiveState = EMPTY, at: datetime = T0) -> LiveState:
    for event in events:
        state = reduce(state, event, at)
    return state


def caller_channel() -> dict[str, str]:
    return ev(
        "Newchannel", Channel="Local/111@samad-inbound-00000005;2", Uniqueid=CALLER,
        Linkedid="1700000000.9", ChannelStateDesc="Up", CallerIDNum="09181234501",
    )  # fmt: skip


def dial_begin() -> dict[str, str]:
    return ev(
        "DialBegin", Channel="Local/111@samad-inbound-00000005;2", Uniqueid=CALLER,
        Linkedid="1700000000.9", CallerIDNum="09181234501",
        DestChannel="Local/noanswer@samad-test-desk-00000006;1", DestUniqueid=DESK_LEG,
        DestLinkedid="1700000000.9", DestChannelStateDesc="Down",
    )  # fmt: skip


def test_channel_names_map_back_to_their_desk_endpoint() -> None:
    assert endpoint_of("PJSIP/desk-1-0000000a") == "PJSIP/desk-1"
    assert endpoint_of("Local/noanswer@samad-test-desk-0000000b;1") == DESK
    assert endpoint_of("SIP/x") == "SIP/x"


def test_a_dial_to_the_desk_makes_it_ring_with_the_callers_uniqueid() -> None:
    state = fold(caller_channel(), dial_begin())
    view = desk_view(state, DESK)
    assert view.status == "ringing"
    assert view.uniqueid == CALLER
    assert view.linkedid == "1700000000.9"
    assert view.caller_num == "09181234501"
    assert desk_view(state, "PJSIP/desk-2").status == "idle"


def test_an_answered_dial_makes_the_desk_busy_until_hangup() -> None:
    state = fold(
        caller_channel(),
        dial_begin(),
        ev("Newstate", Uniqueid=DESK_LEG, ChannelStateDesc="Up"),
        ev("DialEnd", Uniqueid=CALLER, DestUniqueid=DESK_LEG, DialStatus="ANSWER"),
        ev("BridgeEnter", Uniqueid=DESK_LEG, BridgeUniqueid="b1"),
    )
    view = desk_view(state, DESK)
    assert view.status == "busy"
    assert view.uniqueid == CALLER
    state = fold(ev("Hangup", Uniqueid=DESK_LEG), state=state)
    assert desk_view(state, DESK).status == "idle"
    assert not state.dials


def test_an_unanswered_dial_ends_and_the_desk_is_idle_again() -> None:
    state = fold(caller_channel(), dial_begin())
    state = fold(
        ev("DialEnd", Uniqueid=CALLER, DestUniqueid=DESK_LEG, DialStatus="NOANSWER"),
        ev("Hangup", Uniqueid=DESK_LEG),
        state=state,
    )
    assert desk_view(state, DESK).status == "idle"
    assert CALLER in state.channels


def test_an_event_that_changes_nothing_returns_the_same_state() -> None:
    state = fold(caller_channel())
    assert reduce(state, ev("VarSet", Uniqueid=CALLER), T0) is state
    assert reduce(state, ev("Hangup", Uniqueid="nobody"), T0) is state
    assert reduce(state, caller_channel(), T0) is state


def test_queue_callers_are_listed_by_join_time_with_their_wait() -> None:
    later = T0 + timedelta(seconds=30)
    state = fold(
        ev("QueueCallerJoin", Queue="samad-desk", Uniqueid="a", CallerIDNum="09181234501"),
    )
    state = fold(
        ev("QueueCallerJoin", Queue="samad-desk", Uniqueid="b", CallerIDNum="08131234567"),
        state=state,
        at=later,
    )
    [board] = queue_boards(state, T0 + timedelta(seconds=45))
    assert [c.uniqueid for c in board.callers] == ["a", "b"]
    assert [c.wait_seconds for c in board.callers] == [45, 15]
    assert board.longest_wait_seconds == 45
    assert board.callers[0].number == "۰۹۱۸ ۱۲۳ ۴۵۰۱"
    state = fold(ev("QueueCallerLeave", Queue="samad-desk", Uniqueid="a"), state=state)
    [board] = queue_boards(state, later)
    assert [c.uniqueid for c in board.callers] == ["b"]


def test_a_caller_who_hangs_up_leaves_the_queue() -> None:
    state = fold(ev("QueueCallerJoin", Queue="q", Uniqueid="a", CallerIDNum="1"))
    state = fold(ev("Hangup", Uniqueid="a"), state=state)
    assert state.queues["q"] == ()


def test_a_snapshot_rebuilds_channels_and_queue_waits() -> None:
    state = rebuild(
        [
            ev("CoreShowChannel", Channel="Local/noanswer@samad-test-desk-00000006;1",
               Uniqueid=DESK_LEG, Linkedid="L", ChannelStateDesc="Ringing", Duration="12"),
            ev("QueueParams", Queue="samad-desk"),
            ev("QueueParams", Queue="empty"),
            ev("QueueEntry", Queue="samad-desk", Uniqueid="c", CallerIDNum="09181234501",
               Wait="90"),
        ],
        T0,
    )  # fmt: skip
    view = desk_view(state, DESK)
    assert view.status == "ringing"
    assert view.linkedid == "L"
    assert view.since == T0 - timedelta(seconds=12)
    boards = {b.queue: b for b in queue_boards(state, T0)}
    assert boards["samad-desk"].longest_wait_seconds == 90
    assert boards["empty"].callers == ()
