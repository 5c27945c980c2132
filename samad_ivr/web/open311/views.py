"""`GET /open311/v2/…`: the public, read-only GeoReport v2 interface.

- `services.{json,xml}` — the topics (service_code = topic code), of one center when
  `jurisdiction_id` (a center code) is given;
- `requests.{json,xml}` — requests newest first, at most 1,000 (`page_size` asks for
  fewer), of the last 90 days unless `start_date`/`end_date` say otherwise, filtered by
  `service_code`, `status` (open/closed) and `jurisdiction_id`;
- `requests/{service_request_id}.{json,xml}` — one request by its tracking code.

No login, no cookies needed, open to other sites (CORS): nothing here is personal
(samad_ivr.storage.open311 never reads it).  Errors are the specification's
`[{"code", "description"}]` / `<errors>` documents with the same HTTP status.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from aiohttp import web
from aiohttp.typedefs import Handler

from samad_ivr.storage.db import StorageUnavailable
from samad_ivr.storage.open311 import MAX_REQUESTS, Open311Filter, Open311Repository
from samad_ivr.storage.topics import CODE_RE
from samad_ivr.web.app import DEPS, Feature
from samad_ivr.web.open311.openapi import setup_public_openapi
from samad_ivr.web.open311.render import (
    PREFIX,
    error_document,
    requests_document,
    services_document,
)

__all__ = ["PREFIX", "open311_feature"]

DEFAULT_DAYS = 90
_FORMAT = "{fmt:json|xml}"
_CENTER_RE = re.compile(r"[A-Za-z0-9_-]{1,40}")
_CODE_RE = re.compile(r"[0-9]{10}")
_MAX_DATE_TEXT = 40

NOT_FOUND = "پیدا نشد."
NO_REQUEST = "درخواستی با این کد پیگیری پیدا نشد."
NO_JURISDICTION = "مرکزی با این jurisdiction_id پیدا نشد."
UNAVAILABLE = "سامانه موقتاً در دسترس نیست."
_W3C = "باید تاریخ و ساعت W3C با اختلاف ساعت باشد (مانند 2026-01-01T00:00:00+03:30)."
BAD = {
    "status": "status باید open یا closed باشد.",
    "service_code": "service_code نامعتبر است.",
    "jurisdiction_id": "jurisdiction_id نامعتبر است.",
    "start_date": f"start_date {_W3C}",
    "end_date": f"end_date {_W3C}",
    "range": "end_date باید پس از start_date باشد.",
    "page_size": f"page_size باید عددی از ۱ تا {MAX_REQUESTS} باشد.",
}

REPOSITORY = web.AppKey("open311_repository", Open311Repository)
Clock = Callable[[], datetime]
CLOCK: web.AppKey[Clock] = web.AppKey("open311_clock")


class Open311Error(Exception):
    def __init__(self, status: int, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.description = description


def _fmt(request: web.Request) -> str:
    return request.match_info.get("fmt", "json")


def _respond(body: bytes, content_type: str, status: int = 200) -> web.Response:
    response = web.Response(body=body, status=status, content_type=content_type, charset="utf-8")
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Cache-Control"] = "public, max-age=60" if status == 200 else "no-store"
    return response


@web.middleware
async def open311_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Every failure under /open311/ in the specification's error format."""
    if not request.path.startswith(PREFIX + "/"):
        return await handler(request)
    fmt = "xml" if request.path.endswith(".xml") else "json"
    try:
        return await handler(request)
    except Open311Error as exc:
        return _respond(*error_document(fmt, exc.status, exc.description), status=exc.status)
    except StorageUnavailable:
        return _respond(*error_document(fmt, 503, UNAVAILABLE), status=503)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        description = NOT_FOUND if exc.status == 404 else exc.reason
        response = _respond(*error_document(fmt, exc.status, description), status=exc.status)
        if "Allow" in exc.headers:
            response.headers["Allow"] = exc.headers["Allow"]
        return response


def _text(request: web.Request, name: str, pattern: re.Pattern[str]) -> str | None:
    value = request.query.get(name)
    if value is None or value == "":
        return None
    if not pattern.fullmatch(value):
        raise Open311Error(400, BAD[name])
    return value


def _instant(request: web.Request, name: str) -> datetime | None:
    text = request.query.get(name, "").strip()
    if not text:
        return None
    try:
        if len(text) > _MAX_DATE_TEXT:
            raise ValueError(text)
        # A '+' in a URL is a space; RFC 3339 also allows a lower-case 't' and 'z'.
        value = datetime.fromisoformat(text.replace(" ", "+").upper())
    except ValueError:
        raise Open311Error(400, BAD[name]) from None
    if value.tzinfo is None:
        raise Open311Error(400, BAD[name])
    try:
        return value.astimezone(UTC)
    except OverflowError:  # an instant before year 1 or after 9999 in UTC
        raise Open311Error(400, BAD[name]) from None


def _status(request: web.Request) -> bool | None:
    value = request.query.get("status", "")
    if value not in ("", "open", "closed"):
        raise Open311Error(400, BAD["status"])
    return None if not value else value == "closed"


def _page_size(request: web.Request) -> int:
    text = request.query.get("page_size", "")
    if not text:
        return MAX_REQUESTS
    if not text.isascii() or not text.isdigit() or not 1 <= int(text) <= MAX_REQUESTS:
        raise Open311Error(400, BAD["page_size"])
    return int(text)


async def _known_center(request: web.Request, code: str | None) -> None:
    if code is not None and not await request.app[REPOSITORY].center_exists(code):
        raise Open311Error(404, NO_JURISDICTION)


async def services(request: web.Request) -> web.Response:
    center = _text(request, "jurisdiction_id", _CENTER_RE)
    await _known_center(request, center)
    found = await request.app[REPOSITORY].services(center)
    return _respond(*services_document(_fmt(request), found))


def request_filter(request: web.Request, now: datetime) -> Open311Filter:
    """The list's filter from the query: the last 90 days unless dates are given."""
    start, end = _instant(request, "start_date"), _instant(request, "end_date")
    try:
        if end is None:
            end = now if start is None else max(now, start + timedelta(days=DEFAULT_DAYS))
        if start is None:
            start = end - timedelta(days=DEFAULT_DAYS)
    except OverflowError:  # 90 days beyond year 1 or 9999
        raise Open311Error(400, BAD["range"]) from None
    if end <= start:
        raise Open311Error(400, BAD["range"])
    return Open311Filter(
        start=start,
        end=end,
        service_code=_text(request, "service_code", CODE_RE),
        closed=_status(request),
        center_code=_text(request, "jurisdiction_id", _CENTER_RE),
        limit=_page_size(request),
    )


async def requests(request: web.Request) -> web.Response:
    f = request_filter(request, request.app[CLOCK]())
    await _known_center(request, f.center_code)
    found = await request.app[REPOSITORY].requests(f)
    return _respond(*requests_document(_fmt(request), found))


async def one_request(request: web.Request) -> web.Response:
    code = request.match_info.get("service_request_id", "")
    found = await request.app[REPOSITORY].request(code) if _CODE_RE.fullmatch(code) else None
    if found is None:
        raise Open311Error(404, NO_REQUEST)
    return _respond(*requests_document(_fmt(request), [found]))


async def not_found(_request: web.Request) -> web.Response:
    raise Open311Error(404, NOT_FOUND)


def _utcnow() -> datetime:
    return datetime.now(UTC)


def open311_feature(clock: Callable[[], datetime] = _utcnow) -> Feature:
    """The Open311 routes as a web feature; `clock` for tests."""

    def setup(app: web.Application) -> None:
        app[REPOSITORY] = Open311Repository(app[DEPS].pool)
        app[CLOCK] = clock
        app.middlewares.append(open311_errors)
        app.router.add_get(f"{PREFIX}/services.{_FORMAT}", services)
        app.router.add_get(f"{PREFIX}/requests.{_FORMAT}", requests)
        app.router.add_get(
            f"{PREFIX}/requests/{{service_request_id:[^/.]+}}.{_FORMAT}", one_request
        )
        app.router.add_get(f"{PREFIX}/{{tail:.*}}", not_found)
        setup_public_openapi(app)

    return setup
