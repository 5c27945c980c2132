"""What an inspector does to a request, for the forms and the API alike: (re)assign,
accept the answer, send it back with a new deadline, close with their own resolution,
and record a visit.

Every move carries the version the page showed; the lifecycle refuses a stale one and a
move the status does not allow, and nothing is written then.  Failures the person can
fix (bad input, a conflict) are `ActionRefused` with a Persian message and the HTTP
status, so a page can show the form again with what was typed; a request that does not
exist or is not the user's to touch is 404/403 at once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from samad_ivr.admin.jalali import InputError, parse_jalali_date
from samad_ivr.domain.lifecycle import Action
from samad_ivr.storage.inspection import VisitRefused
from samad_ivr.storage.lifecycle import (
    Actor,
    InvalidAssignment,
    RequestNotFound,
    RequestState,
    StaleRequest,
    TransitionConflict,
)
from samad_ivr.storage.send_back import SendBackRefused, send_back_notice
from samad_ivr.web.inspector.common import (
    INSPECTION,
    LIFECYCLE,
    form_int,
    form_text,
    free_text,
    may_act,
    may_assign,
    not_found,
    now,
)
from samad_ivr.web.security import User, http_error

__all__ = ["ACTIONS", "DONE_FA", "ActionRefused", "record_visit", "take_action"]

# The moves this console offers, by the name forms and the API use.
ACTIONS: dict[str, Action] = {
    "assign": Action.ASSIGN,
    "accept": Action.ACCEPT,
    "send_back": Action.SEND_BACK,
    "resolve": Action.RESOLVE,
}
DONE_FA = {
    "assign": "درخواست به دستگاه ارجاع شد.",
    "accept": "پاسخ دستگاه پذیرفته و درخواست بسته شد.",
    "send_back": "درخواست با مهلت تازه به دستگاه بازگشت و به دستگاه اطلاع داده شد.",
    "resolve": "درخواست با رسیدگی بازرسی بسته شد.",
    "visit": "گزارش بازدید ثبت شد.",
}
NOT_YOURS = "ثبت این اقدام فقط با بازرس همین استان است."
MAX_NOTE = 4000  # request_history.note


class ActionRefused(Exception):
    def __init__(self, status: int, code: str, message_fa: str) -> None:
        super().__init__(message_fa)
        self.status = status
        self.code = code
        self.message_fa = message_fa


@dataclass(frozen=True, slots=True)
class _Move:
    action: Action
    version: int
    note: str | None
    agency_id: int | None = None
    topic: str | None = None
    days: int | None = None


def _parse(name: str, values: Mapping[str, Any], default_days: int) -> _Move:
    action = ACTIONS[name]
    version = form_int(values, "version", label="نسخه", low=0, high=2**31 - 1)
    if version is None:
        raise InputError("نسخهٔ درخواست همراه فرم نیست؛ صفحه را دوباره باز کنید.")
    if action is Action.ASSIGN:
        agency = form_int(values, "agency_id", label="دستگاه", low=1, high=2**31 - 1)
        topic = form_text(values, "topic", label="موضوع", required=True, limit=40)
        if agency is None:
            raise InputError("دستگاهی را که باید پاسخ دهد انتخاب کنید.")
        note = form_text(values, "note", label="توضیح", required=False, limit=MAX_NOTE)
        return _Move(action, version, note or None, agency_id=agency, topic=topic)
    if action is Action.SEND_BACK:
        days = form_int(values, "days", label="مهلت تازه (روز)", low=1, high=365)
        note = form_text(values, "note", label="دلیل بازگرداندن", required=True, limit=MAX_NOTE)
        return _Move(action, version, note, days=days or default_days)
    if action is Action.RESOLVE:
        note = form_text(values, "resolution", label="رسیدگی بازرسی", required=True, limit=MAX_NOTE)
        return _Move(action, version, note)
    note = form_text(values, "note", label="توضیح", required=False, limit=MAX_NOTE)
    return _Move(action, version, note or None)


async def _state(request: web.Request, user: User, request_id: int) -> RequestState:
    state = await request.config_dict[LIFECYCLE].get(request_id)
    if state is None:
        raise not_found(request)
    if state.center_id is None or not user.sees_center(state.center_id):
        raise http_error(
            request, 403, "forbidden_center", "شما به درخواست‌های این استان دسترسی ندارید."
        )
    return state


async def take_action(
    request: web.Request, user: User, request_id: int, name: str, values: Mapping[str, Any]
) -> RequestState:
    """Take the move `name` (a key of ACTIONS) with the typed `values`."""
    if name not in ACTIONS:
        raise not_found(request)
    state = await _state(request, user, request_id)
    allowed = may_assign if ACTIONS[name] is Action.ASSIGN else may_act
    if not allowed(user, state.center_id):
        raise http_error(request, 403, "forbidden_role", NOT_YOURS)
    lifecycle = request.config_dict[LIFECYCLE]
    at = now(request)
    try:
        move = _parse(name, values, lifecycle.policy.days)
        within = None
        if move.action is Action.SEND_BACK:
            assert move.days is not None
            assert move.note is not None
            within = send_back_notice(move.note)
        return await lifecycle.act(
            request_id, move.action, actor=Actor.of(user), now=at, note=move.note,
            expected_version=move.version, agency_id=move.agency_id, topic=move.topic,
            deadline_days=move.days, within=within,
        )  # fmt: skip
    except InputError as exc:
        raise ActionRefused(422, "validation_failed", str(exc)) from None
    except StaleRequest as exc:
        raise ActionRefused(409, "stale", exc.message_fa) from None
    except TransitionConflict as exc:
        raise ActionRefused(409, "transition_refused", exc.message_fa) from None
    except (InvalidAssignment, VisitRefused, SendBackRefused) as exc:
        raise ActionRefused(422, "invalid", exc.message_fa) from None
    except RequestNotFound:
        raise not_found(request) from None


async def record_visit(
    request: web.Request, user: User, request_id: int, values: Mapping[str, Any]
) -> int:
    """Store a visit note typed into the form (date in Jalali, any digits)."""
    state = await _state(request, user, request_id)
    if not may_act(user, state.center_id):
        raise http_error(request, 403, "forbidden_role", NOT_YOURS)
    try:
        agency = form_int(values, "agency_id", label="دستگاه", low=1, high=2**31 - 1)
        if agency is None:
            raise InputError("دستگاهی را که بازدید شد انتخاب کنید.")
        visited_on = parse_jalali_date(str(values.get("visited_on", "")))
        findings = free_text(values.get("findings", ""))
        return await request.config_dict[INSPECTION].add_visit(
            request_id, agency_id=agency, user_id=user.id, visited_on=visited_on,
            findings=findings, now=now(request),
        )  # fmt: skip
    except InputError as exc:
        raise ActionRefused(422, "validation_failed", str(exc)) from None
    except VisitRefused as exc:
        raise ActionRefused(422, "invalid", exc.message_fa) from None
