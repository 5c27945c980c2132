"""Live call state: a pure reducer from AMI events to what is happening right now.

`reduce(state, event, now)` never does I/O and returns the *same* object when the event
changes nothing, so the hub can skip notifying browsers with an identity check.  Events
are AMI messages with lower-cased header names (see samad_ivr.ami.events).  The state is
rebuilt from a snapshot after every (re)connect: `rebuild(events, now)` folds the
CoreShowChannel and QueueEntry events of CoreShowChannels/QueueStatus into a fresh state.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import TypeVar

AmiEvent = Mapping[str, str]
V = TypeVar("V")


@dataclass(frozen=True, slots=True)
class Channel:
    uniqueid: str
    linkedid: str
    name: str  # e.g. PJSIP/desk-1-00000003, Local/noanswer@samad-test-desk-0000000a;1
    state: str  # Asterisk's ChannelStateDesc: Down, Ring, Ringing, Up, Busy, ...
    caller_num: str
    bridge_id: str | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Dial:
    """A Dial() in progress: `source` rings `dest` (keyed by the destination)."""

    source_uniqueid: str
    dest_uniqueid: str
    linkedid: str
    caller_num: str
    started_at: datetime


@dataclass(frozen=True, slots=True)
class QueueCaller:
    queue: str
    uniqueid: str
    linkedid: str
    caller_num: str
    joined_at: datetime


@dataclass(frozen=True, slots=True)
class LiveState:
    channels: Mapping[str, Channel] = field(default_factory=dict)
    dials: Mapping[str, Dial] = field(default_factory=dict)
    # queue name -> callers in the order they joined
    queues: Mapping[str, tuple[QueueCaller, ...]] = field(default_factory=dict)


EMPTY = LiveState()


def _with(mapping: Mapping[str, V], key: str, value: V) -> dict[str, V]:
    copy = dict(mapping)
    copy[key] = value
    return copy


def _without(mapping: Mapping[str, V], key: str) -> dict[str, V]:
    copy = dict(mapping)
    copy.pop(key, None)
    return copy


def _seconds(raw: str) -> float:
    try:
        return max(0.0, float(raw))
    except ValueError:
        return 0.0


def _new_channel(state: LiveState, e: AmiEvent, now: datetime) -> LiveState:
    uniqueid = e.get("uniqueid", "")
    if not uniqueid:
        return state
    known = state.channels.get(uniqueid)
    # CoreShowChannel carries the channel's age; live events happen now.
    created = now - timedelta(seconds=_seconds(e.get("duration", "0")))
    channel = Channel(
        uniqueid=uniqueid,
        linkedid=e.get("linkedid") or uniqueid,
        name=e.get("channel", ""),
        state=e.get("channelstatedesc", "Down"),
        caller_num=e.get("calleridnum", ""),
        bridge_id=e.get("bridgeid") or (known.bridge_id if known else None),
        created_at=known.created_at if known else created,
    )
    if channel == known:
        return state
    return replace(state, channels=_with(state.channels, uniqueid, channel))


def _new_state(state: LiveState, e: AmiEvent, now: datetime) -> LiveState:
    known = state.channels.get(e.get("uniqueid", ""))
    if known is None:
        return _new_channel(state, e, now)
    updated = replace(
        known,
        state=e.get("channelstatedesc", known.state),
        caller_num=e.get("calleridnum", known.caller_num),
        name=e.get("channel", known.name),
    )
    if updated == known:
        return state
    return replace(state, channels=_with(state.channels, known.uniqueid, updated))


def _hangup(state: LiveState, e: AmiEvent) -> LiveState:
    uniqueid = e.get("uniqueid", "")
    dials = {
        k: d for k, d in state.dials.items() if uniqueid not in (d.source_uniqueid, d.dest_uniqueid)
    }
    queues = _queues_without(state.queues, uniqueid)
    if uniqueid not in state.channels and len(dials) == len(state.dials) and queues is None:
        return state
    return LiveState(
        channels=_without(state.channels, uniqueid),
        dials=dials,
        queues=state.queues if queues is None else queues,
    )


def _dial_begin(state: LiveState, e: AmiEvent, now: datetime) -> LiveState:
    dest = e.get("destuniqueid", "")
    if not dest:
        return state
    dest_event = {k[4:]: v for k, v in e.items() if k.startswith("dest")}
    state = _new_channel(state, dest_event, now)
    dial = Dial(
        source_uniqueid=e.get("uniqueid", ""),
        dest_uniqueid=dest,
        linkedid=e.get("destlinkedid") or e.get("linkedid") or dest,
        caller_num=e.get("calleridnum", ""),
        started_at=now,
    )
    return replace(state, dials=_with(state.dials, dest, dial))


def _dial_end(state: LiveState, e: AmiEvent) -> LiveState:
    dest = e.get("destuniqueid", "")
    # An answered dial stays until either side hangs up: the desk is busy with that call.
    if dest not in state.dials or e.get("dialstatus") == "ANSWER":
        return state
    return replace(state, dials=_without(state.dials, dest))


def _bridge(state: LiveState, e: AmiEvent, *, enter: bool) -> LiveState:
    known = state.channels.get(e.get("uniqueid", ""))
    if known is None:
        return state
    bridge = e.get("bridgeuniqueid") or None if enter else None
    if known.bridge_id == bridge:
        return state
    updated = replace(known, bridge_id=bridge)
    return replace(state, channels=_with(state.channels, known.uniqueid, updated))


def _queues_without(
    queues: Mapping[str, tuple[QueueCaller, ...]], uniqueid: str, only: str | None = None
) -> dict[str, tuple[QueueCaller, ...]] | None:
    """The queues with `uniqueid` removed, or None when it waited in none of them."""
    changed = False
    result: dict[str, tuple[QueueCaller, ...]] = {}
    for name, callers in queues.items():
        kept = tuple(c for c in callers if c.uniqueid != uniqueid or (only and name != only))
        changed = changed or len(kept) != len(callers)
        result[name] = kept
    return result if changed else None


def _queue_join(state: LiveState, e: AmiEvent, now: datetime) -> LiveState:
    queue, uniqueid = e.get("queue", ""), e.get("uniqueid", "")
    if not queue or not uniqueid:
        return state
    waiting = state.queues.get(queue, ())
    if any(c.uniqueid == uniqueid for c in waiting):
        return state
    caller = QueueCaller(
        queue=queue,
        uniqueid=uniqueid,
        linkedid=e.get("linkedid") or uniqueid,
        caller_num=e.get("calleridnum", ""),
        # QueueEntry (QueueStatus) tells how long the caller has waited already.
        joined_at=now - timedelta(seconds=_seconds(e.get("wait", "0"))),
    )
    callers = tuple(sorted((*waiting, caller), key=lambda c: c.joined_at))
    return replace(state, queues={**state.queues, queue: callers})


def _queue_leave(state: LiveState, e: AmiEvent) -> LiveState:
    queues = _queues_without(state.queues, e.get("uniqueid", ""), e.get("queue") or None)
    return state if queues is None else replace(state, queues=queues)


def _queue_params(state: LiveState, e: AmiEvent) -> LiveState:
    # QueueParams lists every queue, also the empty ones, so the board can show them.
    queue = e.get("queue", "")
    if not queue or queue in state.queues:
        return state
    return replace(state, queues={**state.queues, queue: ()})


def reduce(state: LiveState, event: AmiEvent, now: datetime) -> LiveState:
    """The state after `event` (received at `now`); `state` itself when nothing changed."""
    name = event.get("event", "")
    if name in ("Newchannel", "CoreShowChannel"):
        return _new_channel(state, event, now)
    if name in ("Newstate", "NewCallerid"):
        return _new_state(state, event, now)
    if name == "Hangup":
        return _hangup(state, event)
    if name == "DialBegin":
        return _dial_begin(state, event, now)
    if name == "DialEnd":
        return _dial_end(state, event)
    if name in ("BridgeEnter", "BridgeLeave"):
        return _bridge(state, event, enter=name == "BridgeEnter")
    if name in ("QueueCallerJoin", "QueueEntry"):
        return _queue_join(state, event, now)
    if name in ("QueueCallerLeave", "QueueCallerAbandon"):
        return _queue_leave(state, event)
    if name == "QueueParams":
        return _queue_params(state, event)
    return state


def rebuild(events: Iterable[AmiEvent], now: datetime) -> LiveState:
    """A fresh state from a snapshot (CoreShowChannel, QueueParams, QueueEntry events)."""
    state = EMPTY
    for event in events:
        state = reduce(state, event, now)
    return state
