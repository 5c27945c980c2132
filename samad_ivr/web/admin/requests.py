"""The province admin's assignment queue: requests no agency has yet, and reassignment.

    GET  /admin/centers/{c}/requests[?status=registered|assigned][&cursor=][&code=]
    GET  /admin/centers/{c}/requests/{id}          the case file and the (re)assign form
    POST /admin/centers/{c}/requests/{id}/assign   agency_id, topic, note, version

The form carries the version it was drawn from: a request somebody else changed in the
meantime is refused (409) rather than overwritten; so is a move the request's status
does not allow.  An agency or topic of another province is a 422.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from samad_ivr.admin.jalali import normalise
from samad_ivr.domain.lifecycle import Action, allowed_actions
from samad_ivr.storage.agencies import AgencyRepository
from samad_ivr.storage.casefile import CaseFileRepository
from samad_ivr.storage.lifecycle import Actor, LifecycleError
from samad_ivr.storage.request_queue import QueueCursor, QueueKind, RequestQueue
from samad_ivr.storage.topic_lexicon import TopicLexicon
from samad_ivr.web.admin.common import (
    AdminContext,
    admin_center,
    form_fields,
    not_found,
    path_int,
    pool,
    redirect,
    render,
)
from samad_ivr.web.assignment import MAX_NOTE, refusal, request_lifecycle
from samad_ivr.web.casefile import casefile_context, day_text, status_fa
from samad_ivr.web.topic_names import setup_topic_catalog, topic_catalog

DONE = {
    "assigned": "درخواست به دستگاه ارجاع شد و مهلت پاسخ آغاز شد.",
    "reassigned": "درخواست دوباره ارجاع شد؛ سابقهٔ ارجاع پیشین نگه داشته شد.",
}
KIND_FA = {QueueKind.REGISTERED: "در انتظار ارجاع", QueueKind.ASSIGNED: "ارجاع‌شده"}


async def _choices(request: web.Request, ctx: AdminContext) -> dict[str, Any]:
    """The center's agencies and active topics for the assign forms."""
    return {
        "agencies": await AgencyRepository(pool(request)).list(ctx.center.id),
        "topic_choices": await topic_catalog(request).active(ctx.center.id),
    }


async def queue_page(request: web.Request) -> web.Response:
    ctx = await admin_center(request)
    code = normalise(request.query.get("code", ""))
    if code:
        return await _find_code(request, ctx, code)
    try:
        kind = QueueKind(request.query.get("status", QueueKind.REGISTERED.value))
    except ValueError:
        kind = QueueKind.REGISTERED
    raw_cursor = request.query.get("cursor", "")
    cursor = QueueCursor.parse(raw_cursor) if raw_cursor else None
    errors = ["نشانی صفحهٔ بعد نامعتبر است؛ از ابتدای فهرست نشان داده می‌شود."] if (
        raw_cursor and cursor is None) else []  # fmt: skip
    page = await RequestQueue(pool(request)).page(ctx.center.id, kind, cursor)
    next_link = None
    if page.next_cursor is not None:
        next_link = str(request.rel_url.with_query(
            {"status": kind.value, "cursor": page.next_cursor.token()}))  # fmt: skip
    return render(
        request, "admin/requests.html", ctx, page=page, kind=kind, kinds=KIND_FA,
        next_link=next_link, errors=errors, day=day_text, status_fa=status_fa,
        notice=DONE.get(request.query.get("done", "")), **await _choices(request, ctx),
    )  # fmt: skip


async def _find_code(request: web.Request, ctx: AdminContext, code: str) -> web.Response:
    found = None
    if code.isascii() and code.isdigit() and len(code) == 10:
        found = await RequestQueue(pool(request)).find_code(ctx.center.id, code)
    if found is None:
        message = f"درخواستی با کد پیگیری «{code[:20]}» در این استان پیدا نشد."
        page = await RequestQueue(pool(request)).page(ctx.center.id, QueueKind.REGISTERED)
        return render(
            request, "admin/requests.html", ctx, status=404, page=page,
            kind=QueueKind.REGISTERED, kinds=KIND_FA, next_link=None, errors=[message],
            day=day_text, status_fa=status_fa, **await _choices(request, ctx),
        )  # fmt: skip
    raise redirect(ctx.url(f"/requests/{found}"))


async def request_page(
    request: web.Request,
    ctx: AdminContext | None = None,
    *,
    errors: list[str] | None = None,
    status: int = 200,
    form: dict[str, str] | None = None,
) -> web.Response:
    ctx = ctx or await admin_center(request)
    request_id = path_int(request, "request_id")
    case = await CaseFileRepository(pool(request)).load(request_id)
    # Another province's request is simply not found here.
    if case is None or case.state.center_id != ctx.center.id:
        raise not_found(request)
    state = case.state
    # The transcript's suggestion only fills an empty choice; a chosen topic stays.
    suggestion = await TopicLexicon(pool(request)).suggestion(state.call_id)
    suggested = suggestion.topic if suggestion is not None and not state.topic else ""
    defaults = {
        "agency_id": str(state.agency_id or ""), "topic": state.topic or suggested, "note": "",
    }  # fmt: skip
    return render(
        request, "admin/request.html", ctx, status=status, errors=errors or [],
        may_assign=Action.ASSIGN in allowed_actions(state.status),
        form=form or defaults, version=state.version, suggestion=suggestion,
        notice=DONE.get(request.query.get("done", "")),
        **casefile_context(case, datetime.now(UTC)), **await _choices(request, ctx),
    )  # fmt: skip


def _int_field(text: str) -> int | None:
    text = normalise(text)
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 9 else None


async def assign_request(request: web.Request) -> web.Response:
    ctx = await admin_center(request)
    request_id = path_int(request, "request_id")
    fields = await form_fields(request)
    form = {k: fields.get(k, "") for k in ("agency_id", "topic", "note")}
    agency_id, version = _int_field(form["agency_id"]), _int_field(fields.get("version", ""))
    topic, note = normalise(form["topic"]), normalise(form["note"]) or None
    errors = []
    if agency_id is None:
        errors.append("دستگاه را انتخاب کنید.")
    if not topic:
        errors.append("موضوع را انتخاب کنید.")
    if note is not None and len(note) > MAX_NOTE:
        errors.append("توضیح ارجاع بیش از ۴۰۰۰ نویسه است.")
    if version is None:
        errors.append("نسخهٔ فرم نامعتبر است؛ صفحه را دوباره باز کنید.")
    if errors:
        return await request_page(request, ctx, errors=errors, status=422, form=form)
    assert agency_id is not None
    lifecycle = request_lifecycle(request)
    before = await lifecycle.get(request_id)
    if before is None or before.center_id != ctx.center.id:
        raise not_found(request)
    try:
        await lifecycle.assign(
            request_id, agency_id=agency_id, topic=topic, actor=Actor.of(ctx.user),
            now=datetime.now(UTC), note=note, expected_version=version,
        )  # fmt: skip
    except LifecycleError as exc:
        code, _, message = refusal(exc)
        return await request_page(request, ctx, errors=[message], status=code, form=form)
    if fields.get("back") == "queue":
        raise redirect(ctx.url("/requests"), "assigned")
    done = "assigned" if before.agency_id is None or before.assigned_at is None else "reassigned"
    raise redirect(ctx.url(f"/requests/{request_id}"), done)


def setup_request_routes(app: web.Application) -> None:
    setup_topic_catalog(app)
    base = "/admin/centers/{center_id}/requests"
    app.router.add_get(base, queue_page)
    app.router.add_get(base + "/{request_id}", request_page)
    app.router.add_post(base + "/{request_id}/assign", assign_request)
