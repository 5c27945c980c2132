"""The agency portal's pages.

- `GET /agency`: the agency's requests by deadline (filters, keyset pages) and notices.
- `POST /agency/notices/{id}/read`, `POST /agency/notices/read`: mark notices read.
- `GET /agency/requests/{id}`: the case file, the recording and the answer form.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aiohttp import web
from yarl import URL

from samad_ivr.admin.jalali import InputError
from samad_ivr.domain.lifecycle import Action, allowed_actions
from samad_ivr.storage.agency_portal import AgencyRequestPage
from samad_ivr.storage.casefile import CaseFile
from samad_ivr.web.agency.common import (
    CASEFILES,
    PORTAL,
    AgencyUser,
    agency_user,
    not_found,
    now,
    path_id,
    render,
)
from samad_ivr.web.agency.filters import FILTER_FIELDS, LISTED_STATUSES, parse_agency_filters
from samad_ivr.web.app import DEPS
from samad_ivr.web.casefile import casefile_context

NOTICE_TEXTS = {
    "notice_read": "اعلان خوانده شد.",
    "notices_read": "همهٔ اعلان‌ها خوانده شدند.",
    "answered": "پاسخ ثبت شد و برای شهروند پیامک فرستاده می‌شود.",
}


async def load_case(request: web.Request, who: AgencyUser, request_id: int) -> CaseFile:
    """The case file of one of `who`'s agency's requests; 404 for any other."""
    case = await request.config_dict[CASEFILES].load(request_id)
    if case is None or case.state.agency_id != who.agency.id or case.state.due_on is None:
        raise not_found(request)
    return case


def may_answer(case: CaseFile) -> bool:
    return Action.ANSWER in allowed_actions(case.state.status)


async def list_page(request: web.Request) -> web.Response:
    who = await agency_user(request)
    portal = request.config_dict[PORTAL]
    values = {k: v for k, v in request.query.items() if k in (*FILTER_FIELDS, "cursor")}
    topics = await portal.topics(who.agency.center_id)
    errors: list[str] = []
    page = AgencyRequestPage([], None)
    at = now()
    today = at.astimezone(who.tz).date()
    try:
        query = parse_agency_filters(
            values, agency_id=who.agency.id, topics={c for c, _ in topics}, tz=who.tz, today=today
        )
        page = await portal.requests(query)
    except InputError as exc:
        errors.append(str(exc))
    next_link = None
    if page.next_cursor is not None:
        next_link = str(URL("/agency").with_query({**values, "cursor": page.next_cursor.token()}))
    return render(
        request, "agency/list.html", who, status=422 if errors else 200, errors=errors,
        values=values, topics=topics, statuses=[(s.value, s) for s in LISTED_STATUSES],
        page=page, today=today, next_link=next_link, first_link=_first_link(values),
        notices=await portal.notices(who.agency.id),
        unread=await portal.unread_count(who.agency.id),
        notice=NOTICE_TEXTS.get(request.query.get("done", "")),
    )  # fmt: skip


def _first_link(values: Mapping[str, str]) -> str | None:
    if not values.get("cursor"):
        return None
    return str(URL("/agency").with_query({k: v for k, v in values.items() if k != "cursor"}))


async def mark_notice_read(request: web.Request) -> web.Response:
    who = await agency_user(request)
    notice_id = path_id(request, "notice_id")
    await request.config_dict[PORTAL].mark_read(who.agency.id, notice_id, now())
    raise web.HTTPSeeOther("/agency?done=notice_read")


async def mark_all_read(request: web.Request) -> web.Response:
    who = await agency_user(request)
    await request.config_dict[PORTAL].mark_all_read(who.agency.id, now())
    raise web.HTTPSeeOther("/agency?done=notices_read")


def request_page_response(
    request: web.Request, who: AgencyUser, case: CaseFile, *, status: int = 200, **form: Any
) -> web.Response:
    """The request page; an answer form that was refused comes back with what was typed."""
    values: dict[str, Any] = {"body": "", "errors": [], **form}
    return render(
        request, "agency/request.html", who, status=status, case=case,
        may_answer=may_answer(case), limits=request.config_dict[DEPS].settings.lifecycle,
        notice=NOTICE_TEXTS.get(request.query.get("done", "")),
        **values, **casefile_context(case, now()),
    )  # fmt: skip


async def request_page(request: web.Request) -> web.Response:
    who = await agency_user(request)
    case = await load_case(request, who, path_id(request, "request_id"))
    return request_page_response(request, who, case)


def setup_agency_views(app: web.Application) -> None:
    app.router.add_get("/agency", list_page)
    app.router.add_post(r"/agency/notices/{notice_id:\d+}/read", mark_notice_read)
    app.router.add_post("/agency/notices/read", mark_all_read)
    app.router.add_get(r"/agency/requests/{request_id:\d+}", request_page)
