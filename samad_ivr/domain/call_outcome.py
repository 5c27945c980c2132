"""What happened on a call, decided from the facts the dialplan left on the channel."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Disposition(StrEnum):
    ANSWERED = "answered"  # the caller talked with an official
    MESSAGE = "message"  # the caller left a recorded message
    ABANDONED = "abandoned"  # the caller hung up before either happened
    FAILED = "failed"  # the hotline could not take the call


class RouteTaken(StrEnum):
    DESK = "desk"
    DEPUTY = "deputy"
    QUEUE = "queue"
    CLOSED = "closed"
    FALLBACK = "fallback"
    SATISFACTION = "satisfaction"  # our callback asking whether an answer convinced
    CALLBACK = "callback"  # our call back to a caller who chose not to wait (issue 13)


_ROUTE_OF_LEG = {
    "desk": RouteTaken.DESK,
    "deputy": RouteTaken.DEPUTY,
    "queue": RouteTaken.QUEUE,
    "closed": RouteTaken.CLOSED,
    "message": RouteTaken.FALLBACK,
    "fallback": RouteTaken.FALLBACK,
}

# A message shorter than this is a caller who hung up at the beep, not a request.
MIN_MESSAGE_SECONDS = 1.0


@dataclass(frozen=True, slots=True)
class LegFacts:
    """The channel facts that decide the outcome (all as the dialplan left them)."""

    leg: str
    dialstatus: str
    member_interface: str
    official_id: int | None
    deputy_id: int | None
    message_seconds: float | None  # None when no message file exists


@dataclass(frozen=True, slots=True)
class CallOutcome:
    disposition: Disposition
    route: RouteTaken | None
    official_id: int | None
    conversation: bool
    message: bool

    @property
    def creates_request(self) -> bool:
        """A request exists only after a real conversation or a real recorded message."""
        return self.conversation or self.message


def decide_outcome(facts: LegFacts) -> CallOutcome:
    """Classify a finished (or finishing) call."""
    route = _ROUTE_OF_LEG.get(facts.leg)
    # A queue member answered (every routed call joins the queue): the dialplan set the
    # leg to desk or deputy by the member's penalty and the official to MEMBERNAME.
    by_member = facts.member_interface != "" and route in (
        RouteTaken.DESK, RouteTaken.DEPUTY, RouteTaken.QUEUE
    )  # fmt: skip
    conversation = by_member or (
        route in (RouteTaken.DESK, RouteTaken.DEPUTY) and facts.dialstatus == "ANSWER"
    )
    message = facts.message_seconds is not None and facts.message_seconds >= MIN_MESSAGE_SECONDS
    official_id: int | None = None
    if conversation:
        deputy_dialled = route is RouteTaken.DEPUTY and not by_member
        official_id = facts.deputy_id if deputy_dialled else facts.official_id
    if conversation:
        disposition = Disposition.ANSWERED
    elif message:
        disposition = Disposition.MESSAGE
    else:
        disposition = Disposition.ABANDONED
    return CallOutcome(disposition, route, official_id, conversation, message)
