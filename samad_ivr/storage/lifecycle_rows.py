"""A request's lifecycle row and its history rows, as values (never asyncpg Records)."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import asyncpg

from samad_ivr.domain.deadlines import Deadline
from samad_ivr.domain.lifecycle import Status

STATE_COLUMNS = """
r.id, r.tracking_code, r.call_id, r.center_id, r.caller_e164, r.official_id, r.agency_id,
r.topic, r.summary, r.status, r.version, r.created_at, r.assigned_at, r.deadline_start,
r.deadline_days, r.deadline_mode, r.due_on, r.remind_on, r.long_stop_on, r.reminded_at,
r.escalated_at, r.long_stop_at, r.answered_at, r.answered_late, r.closed_at
"""

HISTORY_COLUMNS = """
h.id, h.request_id, h.at, h.event, h.action, h.from_status, h.to_status, h.user_id,
h.username, h.job, h.note, h.details
"""


@dataclass(frozen=True, slots=True)
class RequestState:
    id: int
    tracking_code: str
    call_id: int
    center_id: int | None
    caller_e164: str | None
    official_id: int | None
    agency_id: int | None
    topic: str | None
    summary: str | None
    status: Status
    version: int
    created_at: datetime
    assigned_at: datetime | None
    deadline_start: date | None
    deadline_days: int | None
    deadline_mode: str | None
    due_on: date | None
    remind_on: date | None
    long_stop_on: date | None
    reminded_at: datetime | None
    escalated_at: datetime | None
    long_stop_at: datetime | None
    answered_at: datetime | None
    answered_late: bool | None
    closed_at: datetime | None

    def with_status(self, status: Status) -> RequestState:
        return dataclasses.replace(self, status=status, version=self.version + 1)

    def with_assignment(self, center_id: int, agency_id: int, topic: str) -> RequestState:
        return dataclasses.replace(self, center_id=center_id, agency_id=agency_id, topic=topic)

    def with_deadline(
        self, now: datetime, deadline: Deadline, remind_on: date, long_stop_on: date
    ) -> RequestState:
        """A new round for the agency: a fresh deadline, reminder and escalations."""
        return dataclasses.replace(
            self,
            assigned_at=now,
            deadline_start=deadline.start,
            deadline_days=deadline.days,
            deadline_mode=deadline.mode.value,
            due_on=deadline.due_on,
            remind_on=remind_on,
            long_stop_on=long_stop_on,
            reminded_at=None,
            escalated_at=None,
            long_stop_at=None,
            answered_at=None,
            answered_late=None,
            closed_at=None,
        )

    def with_answer(self, now: datetime, late: bool) -> RequestState:
        return dataclasses.replace(self, answered_at=now, answered_late=late)

    def with_escalation(self, now: datetime) -> RequestState:
        return dataclasses.replace(self, escalated_at=now)

    def with_closed(self, now: datetime | None) -> RequestState:
        return dataclasses.replace(self, closed_at=now)


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    id: int
    request_id: int
    at: datetime
    event: str  # transition, deadline_changed, reminder_sent, long_stop
    action: str | None  # an Action's value, or 'register'
    from_status: Status | None
    to_status: Status | None
    user_id: int | None
    username: str | None
    job: str | None
    note: str | None
    details: dict[str, Any]


def request_state(r: asyncpg.Record) -> RequestState:
    return RequestState(
        id=r["id"],
        tracking_code=r["tracking_code"],
        call_id=r["call_id"],
        center_id=r["center_id"],
        caller_e164=r["caller_e164"],
        official_id=r["official_id"],
        agency_id=r["agency_id"],
        topic=r["topic"],
        summary=r["summary"],
        status=Status(r["status"]),
        version=r["version"],
        created_at=r["created_at"],
        assigned_at=r["assigned_at"],
        deadline_start=r["deadline_start"],
        deadline_days=r["deadline_days"],
        deadline_mode=r["deadline_mode"],
        due_on=r["due_on"],
        remind_on=r["remind_on"],
        long_stop_on=r["long_stop_on"],
        reminded_at=r["reminded_at"],
        escalated_at=r["escalated_at"],
        long_stop_at=r["long_stop_at"],
        answered_at=r["answered_at"],
        answered_late=r["answered_late"],
        closed_at=r["closed_at"],
    )


def history_entry(r: asyncpg.Record) -> HistoryEntry:
    details = json.loads(r["details"]) if r["details"] is not None else {}
    return HistoryEntry(
        id=r["id"],
        request_id=r["request_id"],
        at=r["at"],
        event=r["event"],
        action=r["action"],
        from_status=Status(r["from_status"]) if r["from_status"] else None,
        to_status=Status(r["to_status"]) if r["to_status"] else None,
        user_id=r["user_id"],
        username=r["username"],
        job=r["job"],
        note=r["note"],
        details=details if isinstance(details, dict) else {},
    )
