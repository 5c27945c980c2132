"""`POST /agency/answers/{request_id}`: the agency's answer with its attachments.

The form is read as a stream (samad_ivr.web.agency.upload); the answer, its files and
the citizen's SMS are saved in the transaction that moves the request to `answered`
(samad_ivr.storage.answers).  A refused form comes back with the text as typed: 413 for
a file over the limits, 422 for a wrong type or a missing text, 409 when the request
moved on meanwhile (a stale page, or a state that takes no answer).
"""

from __future__ import annotations

import logging

from aiohttp import web

from samad_ivr.admin.jalali import fa_digits
from samad_ivr.storage.answers import MAX_ANSWER_CHARS, NotTheAgencysRequest
from samad_ivr.storage.lifecycle import RequestNotFound, StaleRequest, TransitionConflict
from samad_ivr.web.agency.common import ANSWERS, ATTACHMENTS, agency_user, not_found, now, path_id
from samad_ivr.web.agency.upload import read_answer_form
from samad_ivr.web.agency.views import load_case, request_page_response
from samad_ivr.web.app import DEPS
from samad_ivr.web.csrf import csrf_exempt
from samad_ivr.web.security import http_error

log = logging.getLogger(__name__)

ANSWER_PREFIX = "/agency/answers/"
FILES_AGAIN = "پیوست‌ها ذخیره نشدند؛ آن‌ها را دوباره انتخاب کنید."


def _text_problem(body: str, version: int | None) -> str | None:
    if version is None:
        return "نسخهٔ صفحه معلوم نیست؛ صفحه را دوباره باز کنید."
    if not body:
        return "متن پاسخ را بنویسید."
    if len(body) > MAX_ANSWER_CHARS:
        return f"متن پاسخ بیش از {fa_digits(MAX_ANSWER_CHARS)} نویسه است."
    return None


async def post_answer(request: web.Request) -> web.Response:
    who = await agency_user(request)
    request_id = path_id(request, "request_id")
    case = await load_case(request, who, request_id)
    store = request.config_dict[ATTACHMENTS]
    form = await read_answer_form(request, store, request.config_dict[DEPS].settings.lifecycle)
    if form.refused is not None and form.refused.status == 403:
        raise http_error(request, 403, "csrf_failed", form.refused.message)
    problem = form.refused.message if form.refused is not None else None
    problem = problem or _text_problem(form.body, form.version)
    if problem is not None:
        for staged in form.files:
            await store.remove_staged(staged)
        status = form.refused.status if form.refused is not None else 422
        errors = [problem, FILES_AGAIN] if form.refused is not None else [problem]
        return request_page_response(
            request, who, case, status=status, body=form.body, errors=errors
        )
    assert form.version is not None  # _text_problem refuses a missing version
    try:
        saved = await request.config_dict[ANSWERS].answer(
            request_id, user=who.user, body=form.body, files=form.files,
            expected_version=form.version, now=now(),
        )  # fmt: skip
    except (StaleRequest, TransitionConflict) as exc:
        fresh = await load_case(request, who, request_id)
        errors = [exc.message_fa] + ([FILES_AGAIN] if form.files else [])
        return request_page_response(request, who, fresh, status=409, body=form.body, errors=errors)
    except (NotTheAgencysRequest, RequestNotFound):
        raise not_found(request) from None
    log.info(
        "request %s answered by user %s (agency %s): %d files, sms %s",
        request_id, who.user.id, who.agency.id, len(saved.attachment_ids), saved.sms_id,
    )  # fmt: skip
    raise web.HTTPSeeOther(f"/agency/requests/{request_id}?done=answered")


def setup_agency_answers(app: web.Application) -> None:
    # The form's CSRF token is checked by the handler from the stream's first part.
    csrf_exempt(app, ANSWER_PREFIX)
    app.router.add_post(ANSWER_PREFIX + r"{request_id:\d+}", post_answer)
