"""Keeps the center queue's members equal to the desks on duty (AMI QueueAdd/QueueRemove).

A reconciler, not an event follower: every round it asks Asterisk who the members are
(QueueStatus) and the roster who is on duty now, and changes only the difference.  So
slot boundaries, roster edits, an Asterisk restart (members lost) or a member added by
hand are all corrected within one round, and two service instances doing the same thing
agree.  `kick()` runs a round at once (a call arrived, the roster changed).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Protocol

from samad_ivr.ami.client import AmiError
from samad_ivr.calls.routing import RoutingService
from samad_ivr.domain.queue_members import MemberChanges, QueueMember, changes, desired_members
from samad_ivr.domain.roster import RoutingDecision

__all__ = ["QueueMemberSync", "members_from_status", "queue_decision"]

log = logging.getLogger(__name__)


class _Ami(Protocol):
    @property
    def connected(self) -> bool: ...

    async def action(self, fields: dict[str, str], *, timeout: float | None = None) -> object: ...

    async def action_list(
        self, fields: dict[str, str], *, timeout: float | None = None
    ) -> list[dict[str, str]]: ...


def members_from_status(queue: str, messages: list[dict[str, str]]) -> list[QueueMember]:
    """The members of `queue` in a QueueStatus answer (one QueueMember event each)."""
    members = []
    for m in messages:
        if m.get("Event") != "QueueMember" or m.get("Queue") != queue:
            continue
        name = m.get("Name", "") or m.get("MemberName", "")
        official_id = int(name) if name.isdigit() else -1  # not ours: removed
        interface = m.get("Location", "") or m.get("Interface", "")
        members.append(QueueMember(interface, official_id, int(m.get("Penalty", "0") or 0)))
    return members


def queue_decision(
    routing: RoutingService,
) -> Callable[[datetime], Awaitable[tuple[RoutingDecision, str]]]:
    """The roster decision at an instant and the center's queue, from the routing cache."""

    async def decide(now: datetime) -> tuple[RoutingDecision, str]:
        decision, snapshot = await routing.decide(now)
        return decision, snapshot.queue_name

    return decide


class QueueMemberSync:
    def __init__(
        self,
        ami: _Ami,
        decide: Callable[[datetime], Awaitable[tuple[RoutingDecision, str]]],
        clock: Callable[[], datetime],
        *,
        interval: float = 5.0,
        timeout: float = 5.0,
        on_status: Callable[[str, list[dict[str, str]]], Awaitable[object]] | None = None,
    ) -> None:
        """`decide(now)` returns the roster decision and the center's queue name;
        `on_status(queue, messages)` sees every QueueStatus read (announcements)."""
        self._ami = ami
        self._decide = decide
        self._clock = clock
        self._interval = interval
        self._timeout = timeout
        self._wake = asyncio.Event()
        self._on_status = on_status

    def kick(self) -> None:
        self._wake.set()

    async def sync(self) -> MemberChanges:
        """One round: read both sides, apply the difference, return what was changed."""
        decision, queue = await self._decide(self._clock())
        status = await self._ami.action_list(
            {"Action": "QueueStatus", "Queue": queue}, timeout=self._timeout
        )
        todo = changes(desired_members(decision), members_from_status(queue, status))
        for interface in todo.remove:
            await self._ami.action(
                {"Action": "QueueRemove", "Queue": queue, "Interface": interface},
                timeout=self._timeout,
            )
        for member in todo.add:
            await self._ami.action(
                {
                    "Action": "QueueAdd",
                    "Queue": queue,
                    "Interface": member.interface,
                    "MemberName": member.name,
                    "StateInterface": member.interface,
                    "Penalty": str(member.penalty),
                    "Paused": "false",
                },
                timeout=self._timeout,
            )
        if self._on_status is not None:
            await self._on_status(queue, status)
        if not todo.empty:
            log.info(
                "queue %s: added %s, removed %s",
                queue,
                [m.interface for m in todo.add],
                list(todo.remove),
            )
        return todo

    async def run(self) -> None:
        """Rounds forever (every `interval`, or at once after `kick()`); never raises."""
        while True:
            self._wake.clear()
            if self._ami.connected:
                try:
                    await self.sync()
                except (AmiError, TimeoutError, OSError) as exc:
                    log.warning("queue members not synced (%s); next round retries", exc)
                except Exception:
                    log.exception("queue member sync failed; next round retries")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self._interval)
