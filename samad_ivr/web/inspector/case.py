"""One request in the inspector console: /inspector/requests/{id} with its case file,
visit notes, (re)assignment and outcome forms, and the same under
/api/v1/inspector/requests/{request_id}.

A form that fails shows the page again with the reason (409 for a conflict, 422 for bad
input) and with what was typed; one that succeeds redirects to the page (303), so a
reload never submits twice.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from aiohttp import web

from samad_ivr.admin.jalali import iso_jalali, jalali_text
from samad_ivr.domain.lifecycle import ACTION_FA, STATUS_FA, allowed_actions
from samad_ivr.storage.casefile import CaseFile
from samad_ivr.web.casefile import HistoryRow, casefile_context, day_text, local_text
from samad_ivr.web.inspector.actions import (
    ACTIONS,
    DONE_FA,
    ActionRefused,
    record_visit,
    take_action,
)
from samad_ivr.web.inspector.common import (
    CASEFILES,
    INSPECTION,
    LIFECYCLE,
    may_act,
    may_assign,
    not_found,
    now,
    path_id,
    render,
    viewer,
)
from samad_ivr.web.security import User, http_error

__all__ = ["case_json", "load_case", "offered_actions", "setup_case"]


async def load_case(request: web.Request, user: User, request_id: int) -> CaseFile:
    """The case file, if `user` may read it: 404 when there is none, 403 when it is
    another province's."""
    case = await request.config_dict[CASEFILES].load(request_id)
    if case is None:
        raise not_found(request)
    center = case.state.center_id
    if center is None or not user.sees_center(center):
        raise http_error(
            request, 403, "forbidden_center", "شما به درخواست‌های این استان دسترسی ندارید."
        )
    return case


def offered_actions(user: User, case: CaseFile) -> list[str]:
    """The moves this user may take now: allowed from the status, theirs to take, and
    for a send-back an agency to send it back to."""
    possible = allowed_actions(case.state.status)
    center = case.state.center_id
    offered = []
    for name, action in ACTIONS.items():
        mine = may_assign(user, center) if name == "assign" else may_act(user, center)
        if action in possible and mine:
            if name == "send_back" and case.state.agency_id is None:
                continue
            offered.append(name)
    return offered


def _timeline(context: dict[str, Any], case: CaseFile) -> list[HistoryRow]:
    """The history rows with the visits among them, in the order they were written."""
    dated: list[tuple[datetime, int, HistoryRow]] = [
        (line.entry.at, 0, row)
        for line, row in zip(case.history, context["cf"]["history"], strict=True)
    ]
    for v in case.visits:
        note = f"بازدید {day_text(v.visited_on)} از {v.agency_name}: {v.findings}"
        row = HistoryRow(
            local_text(v.created_at, case.tz), "بازدید بازرسی", v.inspector, "", "", note
        )
        dated.append((v.created_at, 1, row))
    return [row for _at, _order, row in sorted(dated, key=lambda d: (d[0], d[1]))]


async def _page(
    request: web.Request,
    user: User,
    case: CaseFile,
    *,
    status: int = 200,
    errors: list[str] | None = None,
    typed: Mapping[str, Mapping[str, str]] | None = None,
) -> web.Response:
    at = now(request)
    context = casefile_context(case, at)
    context["cf"]["history"] = _timeline(context, case)
    center = case.state.center_id
    assert center is not None  # load_case refuses a request without a province
    repo = request.config_dict[INSPECTION]
    done = request.query.get("done", "")
    names = {n: ACTION_FA[a] for n, a in ACTIONS.items()}
    days = request.config_dict[LIFECYCLE].policy.days
    return render(
        request, "inspector/request.html", user, status=status, **context,
        offered=offered_actions(user, case), action_fa=names,
        may_visit=may_act(user, center), agencies=await repo.agencies(center),
        topics=await repo.topics(center), default_days=days,
        today=jalali_text(at.astimezone(case.tz).date()), typed=typed or {},
        errors=errors or [], notice=DONE_FA.get(done),
    )  # fmt: skip


async def request_page(request: web.Request) -> web.Response:
    user = viewer(request)
    case = await load_case(request, user, path_id(request, "request_id"))
    return await _page(request, user, case)


async def _form_post(request: web.Request, name: str) -> web.Response:
    user = viewer(request)
    request_id = path_id(request, "request_id")
    form = await request.post()
    values = {k: v for k, v in form.items() if isinstance(v, str)}
    try:
        if name == "visit":
            await record_visit(request, user, request_id, values)
        else:
            await take_action(request, user, request_id, name, values)
    except ActionRefused as refused:
        case = await load_case(request, user, request_id)
        return await _page(
            request, user, case, status=refused.status, errors=[refused.message_fa],
            typed={name: values},
        )  # fmt: skip
    raise web.HTTPSeeOther(f"/inspector/requests/{request_id}?done={name}")


async def action_post(request: web.Request) -> web.Response:
    name = request.match_info.get("action", "").replace("-", "_")
    if name not in ACTIONS:
        raise not_found(request)
    return await _form_post(request, name)


async def visit_post(request: web.Request) -> web.Response:
    return await _form_post(request, "visit")


def case_json(case: CaseFile, user: User, at: datetime) -> dict[str, Any]:
    s = case.state

    def iso(instant: datetime | None) -> str | None:
        return instant.isoformat() if instant else None

    return {
        "id": s.id, "tracking_code": s.tracking_code, "center_id": s.center_id,
        "status": s.status.value, "status_fa": STATUS_FA[s.status], "version": s.version,
        "agency_id": s.agency_id, "agency": case.agency_name, "topic": s.topic,
        "topic_name": case.topic_name, "summary": s.summary, "caller": s.caller_e164,
        "due_on": s.due_on.isoformat() if s.due_on else None,
        "due_on_jalali": iso_jalali(s.due_on) if s.due_on else None,
        "days_left": case.days_left(at), "overdue": case.overdue(at),
        "recording_id": case.recording_id, "actions": offered_actions(user, case),
        "history": [
            {"at": iso(h.entry.at), "event": h.entry.event, "action": h.entry.action,
             "from": h.entry.from_status, "to": h.entry.to_status, "actor": h.actor_name,
             "job": h.entry.job, "note": h.entry.note}
            for h in case.history
        ],
        "answers": [
            {"id": a.id, "agency_id": a.agency_id, "author": a.author, "body": a.body,
             "created_at": iso(a.created_at),
             "attachments": [{"id": f.id, "filename": f.filename, "content_type": f.content_type,
                              "size_bytes": f.size_bytes} for f in a.attachments]}
            for a in case.answers
        ],
        "visits": [
            {"id": v.id, "agency_id": v.agency_id, "agency": v.agency_name,
             "inspector": v.inspector, "visited_on": v.visited_on.isoformat(),
             "visited_on_jalali": iso_jalali(v.visited_on), "findings": v.findings,
             "created_at": iso(v.created_at)}
            for v in case.visits
        ],
    }  # fmt: skip


def setup_case(app: web.Application) -> None:
    app.router.add_get("/inspector/requests/{request_id}", request_page)
    app.router.add_post("/inspector/requests/{request_id}/visits", visit_post)
    app.router.add_post("/inspector/requests/{request_id}/actions/{action}", action_post)
