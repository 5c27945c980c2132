"""Who is a member of the center's queue, and what to change to get there.

Every desk on duty is a member (penalty 0); the deputy of an official on duty is a
member with penalty 1, rung only when no desk of penalty 0 is free.  A member's name is
its official's id, so the dialplan knows who answered (MEMBERNAME, setinterfacevar) and
the call is registered with that official.  Pure: the roster decision is passed in.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from samad_ivr.domain.roster import Official, OnDuty, RoutingDecision

__all__ = ["DEPUTY_PENALTY", "MemberChanges", "QueueMember", "changes", "desired_members"]

DEPUTY_PENALTY = 1


@dataclass(frozen=True, slots=True)
class QueueMember:
    interface: str  # the desk's dial string (PJSIP/desk-1, Local/...)
    official_id: int
    penalty: int = 0

    @property
    def name(self) -> str:
        """The queue member's name: the official's id (MEMBERNAME in the dialplan)."""
        return str(self.official_id)


@dataclass(frozen=True, slots=True)
class MemberChanges:
    add: tuple[QueueMember, ...]
    remove: tuple[str, ...]  # interfaces

    @property
    def empty(self) -> bool:
        return not self.add and not self.remove


def desired_members(decision: RoutingDecision) -> tuple[QueueMember, ...]:
    """The queue's members for a roster decision: nobody when the center is closed."""
    if not isinstance(decision, OnDuty):
        return ()
    members: dict[str, QueueMember] = {}

    def offer(official: Official, penalty: int) -> None:
        interface = official.desk_endpoint.strip()
        if not interface:
            return
        known = members.get(interface)
        if known is None or penalty < known.penalty:
            members[interface] = QueueMember(interface, official.id, penalty)

    for official in decision.officials:
        offer(official, 0)
    for official in decision.officials:
        if official.deputy is not None:
            offer(official.deputy, DEPUTY_PENALTY)
    return tuple(members.values())


def changes(desired: Iterable[QueueMember], actual: Iterable[QueueMember]) -> MemberChanges:
    """What to add and remove so that the queue's members are exactly ``desired``.

    A member whose official or penalty changed is removed and added again."""
    want = {m.interface: m for m in desired}
    have = {m.interface: m for m in actual}
    remove = tuple(i for i, m in have.items() if want.get(i) != m)
    add = tuple(m for i, m in want.items() if have.get(i) != m)
    return MemberChanges(add=add, remove=remove)


# A conversation's length before Asterisk has measured one (the source document: about
# five minutes per caller).
DEFAULT_TALK_SECONDS = 300.0


def estimated_wait_seconds(position: int, desks: int, talk_seconds: float) -> float:
    """How long the caller at ``position`` (1 = next) waits: the callers ahead of them
    and they themselves are shared among the desks, each conversation ``talk_seconds``
    (Asterisk's measured average, or the default while it has none)."""
    talk = talk_seconds if talk_seconds > 0 else DEFAULT_TALK_SECONDS
    rounds = (max(position, 1) - 1) // max(desks, 1)
    return rounds * talk + talk / 2  # half a conversation until the next desk frees
