"""The inspectors' queues: /inspector, /inspector/centers/{id} and
GET /api/v1/inspector/centers/{center_id}/queues/{queue}.

Page and API read the same filters and page with the same opaque keyset cursor.  Bad
filters are a Persian message above an empty list on the page, a 422 under /api/.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web

from samad_ivr.admin.jalali import InputError, iso_jalali, normalise
from samad_ivr.domain.deadlines import days_left
from samad_ivr.domain.lifecycle import STATUS_FA, Status
from samad_ivr.storage.inspection import (
    MAX_LIMIT,
    CenterInfo,
    Queue,
    QueueCursor,
    QueueItem,
    QueuePage,
    QueueQuery,
)
from samad_ivr.web.casefile import day_text, days_left_text, local_text
from samad_ivr.web.inspector.common import (
    INSPECTION,
    VIEW_ROLES,
    form_int,
    not_found,
    now,
    path_id,
    render,
    viewer,
)
from samad_ivr.web.openapi import api_query, api_route
from samad_ivr.web.paths import next_page_link
from samad_ivr.web.security import ApiError

QUEUE_FA: dict[Queue, str] = {
    Queue.OVERDUE: "مهلت گذشته",
    Queue.ANSWERED: "پاسخ‌های در انتظار بررسی",
    Queue.REOPENED: "قانع‌نشده (بازگشایی‌شده)",
    Queue.LONG_STOP: "گذشته از مهلت نهایی",
    Queue.OPEN: "همهٔ درخواست‌های باز",
}
FILTERS = ("agency_id", "topic", "status", "tracking_code")
OPEN_STATUSES = [s for s in Status if s is not Status.CLOSED]
_TRACKING_RE = re.compile(r"[0-9]{10}")
_TOPIC_RE = re.compile(r"[a-z][a-z0-9_]{1,39}")

_TEXT = {"type": "string", "maxLength": 100}
QUERY_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "agency_id": {"type": "integer", "minimum": 1},
        "topic": {**_TEXT, "description": "a topic code of the center"},
        "status": {"type": "string", "enum": [s.value for s in OPEN_STATUSES]},
        "tracking_code": {**_TEXT, "description": "10 digits, Persian digits allowed"},
        "cursor": {"type": "string", "maxLength": 64, "description": "next_cursor of a page"},
        "limit": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT},
    },
    "additionalProperties": False,
}
_NULL_INT = {"type": ["integer", "null"]}
_NULL_STR = {"type": ["string", "null"]}
ITEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"}, "tracking_code": {"type": "string"},
        "status": {"type": "string"}, "status_fa": {"type": "string"},
        "version": {"type": "integer"}, "created_at": {"type": "string"},
        "agency_id": _NULL_INT, "agency": _NULL_STR, "topic": _NULL_STR, "topic_name": _NULL_STR,
        "summary": _NULL_STR, "caller": _NULL_STR, "due_on": _NULL_STR,
        "due_on_jalali": _NULL_STR, "days_left": _NULL_INT, "overdue": {"type": "boolean"},
        "escalated_at": _NULL_STR, "long_stop_at": _NULL_STR, "answered_at": _NULL_STR,
    },
}  # fmt: skip
RESPONSE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["center_id", "queue", "requests", "next_cursor", "counts"],
    "properties": {
        "center_id": {"type": "integer"},
        "queue": {"type": "string", "enum": [q.value for q in Queue]},
        "requests": {"type": "array", "items": ITEM_SCHEMA},
        "next_cursor": _NULL_STR,
        "counts": {"type": "object", "additionalProperties": {"type": "integer"}},
    },
}


def parse_queue(
    values: Mapping[str, Any], center_id: int, queue: Queue, at: datetime
) -> QueueQuery:
    """A queue's filters as typed (any digits); `InputError` with a Persian message."""
    status_text = normalise(str(values.get("status", "")))
    status = None
    if status_text:
        if status_text not in {s.value for s in OPEN_STATUSES}:
            raise InputError(f"وضعیت «{status_text}» شناخته نیست.")
        status = Status(status_text)
    topic = normalise(str(values.get("topic", ""))) or None
    if topic is not None and not _TOPIC_RE.fullmatch(topic):
        raise InputError("موضوع انتخاب‌شده شناخته نیست.")
    code = normalise(str(values.get("tracking_code", ""))) or None
    if code is not None and not _TRACKING_RE.fullmatch(code):
        raise InputError("کد پیگیری باید ۱۰ رقم باشد.")
    after = None
    if values.get("cursor"):
        after = QueueCursor.parse(str(values["cursor"]))
        if after is None:
            raise InputError("نشانگر صفحه نامعتبر است؛ فهرست را از نو باز کنید.")
    return QueueQuery(
        center_id=center_id,
        queue=queue,
        now=at,
        agency_id=form_int(values, "agency_id", label="دستگاه", low=1, high=2**31 - 1),
        topic=topic,
        status=status,
        tracking_code=code,
        after=after,
        limit=form_int(values, "limit", label="تعداد", low=1, high=MAX_LIMIT) or 50,
    )


def item_json(item: QueueItem, at: datetime, tz: ZoneInfo) -> dict[str, Any]:
    def iso(instant: datetime | None) -> str | None:
        return instant.isoformat() if instant else None

    left = days_left(item.due_on, at.astimezone(tz).date()) if item.due_on else None
    return {
        "id": item.id, "tracking_code": item.tracking_code, "status": item.status.value,
        "status_fa": STATUS_FA[item.status], "version": item.version,
        "created_at": item.created_at.isoformat(), "agency_id": item.agency_id,
        "agency": item.agency_name, "topic": item.topic, "topic_name": item.topic_name,
        "summary": item.summary, "caller": item.caller_e164,
        "due_on": item.due_on.isoformat() if item.due_on else None,
        "due_on_jalali": iso_jalali(item.due_on) if item.due_on else None,
        "days_left": left, "overdue": item.overdue, "escalated_at": iso(item.escalated_at),
        "long_stop_at": iso(item.long_stop_at), "answered_at": iso(item.answered_at),
    }  # fmt: skip


async def _center(request: web.Request, center_id: int) -> CenterInfo:
    center = await request.config_dict[INSPECTION].center(center_id)
    if center is None:
        raise not_found(request)
    return center


async def index_page(request: web.Request) -> web.StreamResponse:
    user = viewer(request)
    if not user.is_national and user.center_id is not None:
        raise web.HTTPFound(f"/inspector/centers/{user.center_id}")
    chosen = request.query.get("center", "")
    if chosen.isascii() and chosen.isdigit() and len(chosen) < 10:
        raise web.HTTPFound(f"/inspector/centers/{int(chosen)}")
    centers = await request.config_dict[INSPECTION].centers()
    return render(request, "inspector/index.html", user, centers=centers)


def _queue_of(request: web.Request, text: str) -> Queue:
    try:
        return Queue(text or Queue.OVERDUE.value)
    except ValueError:
        raise not_found(request) from None


async def queue_page(request: web.Request) -> web.Response:
    center_id = path_id(request, "center_id")
    user = viewer(request, center_id)
    center = await _center(request, center_id)
    queue = _queue_of(request, request.query.get("queue", ""))
    repo = request.config_dict[INSPECTION]
    at = now(request)
    values = {k: request.query.get(k, "") for k in FILTERS}
    errors: list[str] = []
    page = QueuePage([], None)
    try:
        page = await repo.page(parse_queue(request.query, center_id, queue, at), center.tz)
    except InputError as exc:
        errors.append(str(exc))
    today = at.astimezone(center.tz).date()
    return render(
        request, "inspector/queue.html", user, center=center, queue=queue, queues=QUEUE_FA,
        counts=await repo.counts(center_id, at, center.tz), page=page, values=values,
        agencies=await repo.agencies(center_id), topics=await repo.topics(center_id),
        statuses={s.value: STATUS_FA[s] for s in OPEN_STATUSES}, errors=errors,
        centers=await repo.centers() if user.is_national else [],
        next_link=next_page_link(request, page.next_cursor, (*FILTERS, "queue")),
        day=day_text,
        left=lambda due: days_left_text(days_left(due, today)) if due else "—",
        when=lambda instant: local_text(instant, center.tz),
    )  # fmt: skip


async def api_queue(request: web.Request) -> web.Response:
    center_id = path_id(request, "center_id")
    viewer(request, center_id)
    center = await _center(request, center_id)
    queue = _queue_of(request, request.match_info["queue"])
    at = now(request)
    try:
        query = parse_queue(api_query(request), center_id, queue, at)
    except InputError as exc:
        raise ApiError(422, "validation_failed", str(exc)) from None
    repo = request.config_dict[INSPECTION]
    page = await repo.page(query, center.tz)
    counts = await repo.counts(center_id, at, center.tz)
    return web.json_response({
        "center_id": center_id, "queue": queue.value,
        "requests": [item_json(i, at, center.tz) for i in page.items],
        "next_cursor": page.next_cursor.token() if page.next_cursor else None,
        "counts": {q.value: counts.of(q) for q in Queue},
    })  # fmt: skip


def setup_queues(app: web.Application) -> None:
    app.router.add_get("/inspector", index_page)
    app.router.add_get("/inspector/centers/{center_id}", queue_page)
    queues = "|".join(q.value for q in Queue)
    api_route(
        app, "GET", f"/inspector/centers/{{center_id:\\d+}}/queues/{{queue:(?:{queues})}}",
        api_queue, summary="One of the inspectors' queues of a province",
        description=(
            "overdue, answered, reopened, long_stop or open; oldest deadline first, "
            "keyset-paged: pass `next_cursor` back as `cursor`. Inspectors and province "
            "admins see their province; national roles every province."
        ),
        query_schema=QUERY_SCHEMA, response_schema=RESPONSE_SCHEMA, roles=VIEW_ROLES,
        tags=["inspector"], operation_id="inspector_queue",
    )  # fmt: skip
