"""What the desk, the admin queue and the API share when they assign a request.

`request_lifecycle(request)` builds the lifecycle with the installation's deadline policy;
`refusal(exc)` turns a lifecycle error into the HTTP status, error code and Persian
message every console answers with; `state_summary` is the request's status and deadline
as people read them (the desk shows it after saving, the API returns it).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web

from samad_ivr.admin.jalali import iso_jalali
from samad_ivr.domain.deadlines import days_left
from samad_ivr.domain.lifecycle import STATUS_FA, Status
from samad_ivr.storage.lifecycle import (
    InvalidAssignment,
    LifecycleError,
    RequestLifecycle,
    RequestNotFound,
    RequestState,
    StaleRequest,
    TransitionConflict,
)
from samad_ivr.web.app import DEPS
from samad_ivr.web.casefile import day_text, days_left_text

MAX_NOTE = 4000


def request_lifecycle(request: web.Request) -> RequestLifecycle:
    deps = request.config_dict[DEPS]
    return RequestLifecycle(deps.pool, deps.settings.lifecycle.deadline)


def refusal(exc: LifecycleError) -> tuple[int, str, str]:
    """(HTTP status, error code, Persian message) for a refused assignment."""
    if isinstance(exc, RequestNotFound):
        return 404, "not_found", exc.message_fa
    if isinstance(exc, TransitionConflict):
        return 409, "transition_conflict", exc.message_fa
    if isinstance(exc, StaleRequest):
        return 409, "stale_request", exc.message_fa
    if isinstance(exc, InvalidAssignment):
        return 422, "invalid_assignment", exc.message_fa
    return 409, "conflict", exc.message_fa


@dataclass(frozen=True, slots=True)
class StateSummary:
    """A request's status and deadline in Persian, for a line on a page."""

    status: str
    status_fa: str
    due_text: str | None  # «دوشنبه ۱۴۰۴/۰۱/۱۸»
    left_text: str | None  # «۱۰ روز مانده»

    def line(self) -> str:
        if self.due_text is None:
            return f"وضعیت درخواست: {self.status_fa}"
        due = f"مهلت پاسخ دستگاه: {self.due_text} ({self.left_text})"
        return f"وضعیت درخواست: {self.status_fa} — {due}"


def state_summary(state: RequestState, now: datetime, tz: ZoneInfo) -> StateSummary:
    waiting = state.status in (Status.ASSIGNED, Status.ESCALATED) and state.due_on is not None
    if not waiting or state.due_on is None:
        return StateSummary(state.status.value, STATUS_FA[state.status], None, None)
    left = days_left(state.due_on, now.astimezone(tz).date())
    return StateSummary(
        state.status.value, STATUS_FA[state.status], day_text(state.due_on), days_left_text(left)
    )


def state_json(state: RequestState, now: datetime, tz: ZoneInfo) -> dict[str, Any]:
    """The API's view of a request after an assignment."""
    summary = state_summary(state, now, tz)
    return {
        "id": state.id,
        "tracking_code": state.tracking_code,
        "status": state.status.value,
        "status_fa": summary.status_fa,
        "version": state.version,
        "center_id": state.center_id,
        "agency_id": state.agency_id,
        "topic": state.topic,
        "assigned_at": state.assigned_at.isoformat() if state.assigned_at else None,
        "due_on": state.due_on.isoformat() if state.due_on else None,
        "due_on_jalali": iso_jalali(state.due_on) if state.due_on else None,
        "deadline_days": state.deadline_days,
        "deadline_mode": state.deadline_mode,
    }


STATE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["id", "tracking_code", "status", "version"],
    "properties": {
        "id": {"type": "integer"},
        "tracking_code": {"type": "string"},
        "status": {"type": "string", "enum": [s.value for s in Status]},
        "status_fa": {"type": "string"},
        "version": {"type": "integer", "description": "send it back to detect a stale page"},
        "center_id": {"type": ["integer", "null"]},
        "agency_id": {"type": ["integer", "null"]},
        "topic": {"type": ["string", "null"]},
        "assigned_at": {"type": ["string", "null"], "format": "date-time"},
        "due_on": {"type": ["string", "null"], "format": "date"},
        "due_on_jalali": {"type": ["string", "null"], "description": "1404-01-25"},
        "deadline_days": {"type": ["integer", "null"]},
        "deadline_mode": {"type": ["string", "null"], "enum": ["calendar", "working", None]},
    },
}
