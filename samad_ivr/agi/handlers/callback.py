"""Routes `callback_offer` and `callback_request`: a callback instead of endless waiting.

`callback_offer` runs just before the caller joins the queue, with the queue's own
figures as arguments (QUEUE_WAITING_COUNT, QUEUE_MEMBER(...,logged), QUEUEHOLDTIME from
QUEUE_VARIABLES).  It adds the pending callbacks of the center (they are in the line
too), takes the average conversation from our call rows, and sets SAMAD_CALLBACK_OFFER
to 1 when the expected wait outlasts the session or the line is longer than the limit
(samad_ivr.domain.callbacks.offer_callback).  Never offered to a caller we could not
call back (no usable number).

`callback_request` stores the callback with the moment the caller reached the queue
(SAMAD_QUEUE_ENTER), so it keeps their place, and sets SAMAD_CALLBACK_STORED to 1/0.
Both set 0 on any database trouble: the caller then simply waits in the queue.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from samad_ivr.agi.handlers.common import Channel
from samad_ivr.calls.routing import RosterSnapshot, RosterUnavailable
from samad_ivr.domain.callbacks import CallbackPolicy, QueueFigures, offer_callback, session_ends_at
from samad_ivr.domain.phone import normalise_caller_id
from samad_ivr.domain.roster import OnDuty, RoutingDecision
from samad_ivr.storage.callbacks import CallbackRepository
from samad_ivr.storage.db import StorageUnavailable

__all__ = ["OFFER", "STORED", "CallbackRouteDeps", "handle_offer", "handle_request"]

log = logging.getLogger(__name__)

OFFER = "SAMAD_CALLBACK_OFFER"  # 1: play the offer (1 callback, 2 message, else wait)
STORED = "SAMAD_CALLBACK_STORED"  # 1: the callback is stored
QUEUE_ENTER = "SAMAD_QUEUE_ENTER"


@dataclass(frozen=True, slots=True)
class CallbackRouteDeps:
    callbacks: CallbackRepository
    routing: Callable[[datetime], Awaitable[tuple[RoutingDecision, RosterSnapshot]]]
    policy: CallbackPolicy
    clock: Callable[[], datetime]
    enabled: bool = True


def _int_arg(args: tuple[str, ...] | list[str], index: int) -> int:
    try:
        return max(0, int(float(args[index])))
    except (IndexError, ValueError):
        return 0


async def handle_offer(channel: Channel, deps: CallbackRouteDeps) -> None:
    offered = False
    caller = normalise_caller_id(channel.env.callerid)
    if deps.enabled and caller.e164 is not None:
        try:
            offered = await _offer(channel, deps)
        except (StorageUnavailable, RosterUnavailable, TimeoutError) as exc:
            log.warning("callback offer skipped: %s", exc)
    await channel.set_variable(OFFER, "1" if offered else "0")


async def _offer(channel: Channel, deps: CallbackRouteDeps) -> bool:
    now = deps.clock()
    decision, snapshot = await deps.routing(now)
    ends = session_ends_at(decision)
    if ends is None or not isinstance(decision, OnDuty):
        return False
    args = channel.env.args
    waiting, logged, hold = _int_arg(args, 0), _int_arg(args, 1), _int_arg(args, 2)
    pending = len(await deps.callbacks.open_line(snapshot.center_id))
    talk = await deps.callbacks.average_talk_seconds(snapshot.center_id, now)
    figures = QueueFigures(
        ahead=waiting + pending,
        desks_on_duty=logged or len(decision.slots),
        talk_seconds=talk,
        hold_seconds=float(hold) or None,
    )
    offer = offer_callback(figures, now, ends, deps.policy)
    log.info(
        "callback offer %s: %d ahead (%d callbacks), %d desks, wait ~%.0f s, %.0f s left",
        offer.reason or "not made", figures.ahead, pending, figures.desks_on_duty,
        offer.expected_wait_seconds, offer.seconds_left,
    )  # fmt: skip
    return offer.offered


async def handle_request(channel: Channel, deps: CallbackRouteDeps) -> None:
    stored = False
    caller = normalise_caller_id(channel.env.callerid)
    if caller.e164 is not None:
        try:
            stored = await _request(channel, deps, caller.e164)
        except (StorageUnavailable, RosterUnavailable, TimeoutError) as exc:
            log.warning("callback of %s not stored: %s", caller.masked, exc)
    await channel.set_variable(STORED, "1" if stored else "0")


async def _request(channel: Channel, deps: CallbackRouteDeps, e164: str) -> bool:
    now = deps.clock()
    decision, snapshot = await deps.routing(now)
    ends = session_ends_at(decision)
    if ends is None:
        return False
    entered = await channel.get_full_variable(f"${{{QUEUE_ENTER}}}")
    try:
        queued_at = datetime.fromtimestamp(int(entered or ""), UTC)
    except ValueError:
        queued_at = now
    cb = await deps.callbacks.request(
        snapshot.center_id, channel.env.uniqueid, e164, min(queued_at, now), ends, now
    )
    log.info("callback %d stored for call %s", cb.id, channel.env.uniqueid)
    return True
