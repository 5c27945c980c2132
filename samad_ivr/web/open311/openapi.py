"""The OpenAPI 3.1 document of the public, anonymous endpoints: `/api/openapi-public.json`.

/api/openapi.json describes the logged-in JSON API under /api/v1; the citizen's
endpoints live elsewhere (`/open311/v2/…`, `/status`) and need no session, so they get
their own document with the server at the site's root.  Schemathesis can run against it
like against the other one.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from samad_ivr.storage.open311 import MAX_REQUESTS
from samad_ivr.storage.topics import CODE_RE
from samad_ivr.web.open311.render import PREFIX, REQUEST_FIELDS, SERVICE_FIELDS

__all__ = ["PUBLIC_OPENAPI_PATH", "public_openapi_document", "setup_public_openapi"]

PUBLIC_OPENAPI_PATH = "/api/openapi-public.json"
_NULLABLE_TEXT = {"type": ["string", "null"]}
_FORMAT = {"name": "format", "in": "path", "required": True,
           "schema": {"type": "string", "enum": ["json", "xml"]}}  # fmt: skip
_JURISDICTION = {"name": "jurisdiction_id", "in": "query", "required": False,
                 "schema": {"type": "string", "pattern": "^[A-Za-z0-9_-]{1,40}$"}}  # fmt: skip
_W3C = {"type": "string", "format": "date-time"}
_REQUEST_TYPES: dict[str, Any] = {"metadata": {"type": "boolean"}}


def _object(fields: tuple[str, ...], required: tuple[str, ...]) -> dict[str, Any]:
    return {
        "type": "object",
        "required": list(required),
        "properties": {name: _REQUEST_TYPES.get(name, _NULLABLE_TEXT) for name in fields},
    }


_ERROR = {"type": "array", "items": {"type": "object", "required": ["code", "description"],
          "properties": {"code": {"type": "integer"}, "description": {"type": "string"}}},
          }  # fmt: skip
_SERVICES = {"type": "array", "items": _object(SERVICE_FIELDS, ("service_code", "service_name"))}
_REQUESTS = {
    "type": "array",
    "maxItems": MAX_REQUESTS,
    "items": _object(REQUEST_FIELDS, ("service_request_id", "status", "requested_datetime")),
}
_HTML = {"text/html": {"schema": {"type": "string"}}}


def _open311_responses(schema: dict[str, Any], errors: tuple[int, ...]) -> dict[str, Any]:
    out: dict[str, Any] = {
        "200": {"description": "OK", "content": {
            "application/json": {"schema": schema}, "text/xml": {"schema": {"type": "string"}},
        }},
    }  # fmt: skip
    for code in errors:
        out[str(code)] = {"description": "GeoReport v2 error document", "content": {
            "application/json": {"schema": _ERROR}, "text/xml": {"schema": {"type": "string"}},
        }}  # fmt: skip
    return out


def _query(name: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "schema": schema}


def _paths() -> dict[str, Any]:
    requests_query = [
        _query("service_code", {"type": "string", "pattern": f"^{CODE_RE.pattern}$"}),
        _query("status", {"type": "string", "enum": ["open", "closed"]}),
        _query("start_date", _W3C),
        _query("end_date", _W3C),
        _JURISDICTION,
        _query("page_size", {"type": "integer", "minimum": 1, "maximum": MAX_REQUESTS}),
    ]
    code_param = {"name": "service_request_id", "in": "path", "required": True,
                  "schema": {"type": "string"}}  # fmt: skip
    status_form = {"type": "object", "required": ["code", "digits"], "properties": {
        "code": {"type": "string", "description": "the 10-digit tracking code"},
        "digits": {"type": "string", "description": "last four digits of the calling number"},
        "_csrf": {"type": "string"},
    }}  # fmt: skip
    return {
        f"{PREFIX}/services.{{format}}": {"get": {
            "operationId": "open311_services", "summary": "Topics as GeoReport v2 services",
            "tags": ["open311"], "parameters": [_FORMAT, _JURISDICTION],
            "responses": _open311_responses(_SERVICES, (400, 404)),
        }},
        f"{PREFIX}/requests.{{format}}": {"get": {
            "operationId": "open311_requests",
            "summary": "Requests, newest first, at most 1,000; the last 90 days by default",
            "tags": ["open311"], "parameters": [_FORMAT, *requests_query],
            "responses": _open311_responses(_REQUESTS, (400, 404)),
        }},
        f"{PREFIX}/requests/{{service_request_id}}.{{format}}": {"get": {
            "operationId": "open311_request", "summary": "One request by its tracking code",
            "tags": ["open311"], "parameters": [code_param, _FORMAT],
            "responses": _open311_responses(_REQUESTS, (404,)),
        }},
        "/status": {
            "get": {"operationId": "status_form", "summary": "The citizen's status form",
                    "tags": ["status"], "responses": {"200": {"description": "OK",
                                                                "content": _HTML}}},
            "post": {
                "operationId": "status_lookup", "tags": ["status"],
                "summary": "A request's status for its tracking code and last four digits",
                "requestBody": {"required": True, "content": {
                    "application/x-www-form-urlencoded": {"schema": status_form}}},
                "responses": {str(c): {"description": d, "content": _HTML} for c, d in (
                    (200, "the request"), (400, "not ten and four digits, or a wrong check digit"),
                    (403, "CSRF token missing"), (404, "no request for this pair"),
                    (429, "too many tries"), (503, "database unavailable"))},
            },
        },
        "/status/attachments/{attachment_id}": {"get": {
            "operationId": "status_attachment", "tags": ["status"],
            "summary": "An answer's file through the signed link /status gave",
            "parameters": [
                {"name": "attachment_id", "in": "path", "required": True,
                 "schema": {"type": "integer", "minimum": 1}},
                _query("exp", {"type": "integer"}), _query("sig", {"type": "string"}),
            ],
            "responses": {
                "200": {"description": "the file", "content": {
                    t: {"schema": {"type": "string", "format": "binary"}}
                    for t in ("application/pdf", "image/jpeg", "image/png")}},
                "404": {"description": "unknown, expired or tampered link",
                        "content": {"text/plain": {"schema": {"type": "string"}}}},
            },
        }},
    }  # fmt: skip


def public_openapi_document() -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {"title": "Samad 111 public endpoints", "version": "1"},
        "servers": [{"url": "/"}],
        "paths": _paths(),
    }


async def _serve(_request: web.Request) -> web.Response:
    return web.json_response(public_openapi_document())


def setup_public_openapi(app: web.Application) -> None:
    app.router.add_get(PUBLIC_OPENAPI_PATH, _serve)
