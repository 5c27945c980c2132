"""The JSON API under /api/v1: one registry that routes, documents and guards each call.

`api_route(app, "GET", "/centers/{center_id:\\d+}/slots", handler, summary=..., roles=...)`
adds the aiohttp route, records the operation in the OpenAPI 3.1 document served at
/api/openapi.json, and wraps the handler: login and role check, then the province check
(a `center_id` in the path, query or body must be one the user sees), then JSON Schema
(2020-12) validation of the query and body.  Handlers read the validated values with
`api_query(request)` / `api_body(request)` and report failures by raising `ApiError`.
Every error under /api/ is JSON: `{"error": {"code": ..., "message": ...}}`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Any

from aiohttp import web
from jsonschema import Draft202012Validator
from persiantools import digits

from samad_ivr.storage.accounts import Role
from samad_ivr.web.auth_views import ME_SCHEMA, me
from samad_ivr.web.csrf import CSRF_HEADER, UNSAFE_METHODS
from samad_ivr.web.security import ERROR_TITLES, SESSION_COOKIE, ApiError, require_user

API_PREFIX = "/api/v1"
ALL_ROLES: tuple[Role, ...] = tuple(Role)
_QUERY_KEY = web.RequestKey("samad_api_query", dict)
_BODY_KEY = web.RequestKey("samad_api_body", dict)
_PATH_PARAM = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)(?::([^{}]*(?:\{[^{}]*\}[^{}]*)*))?\}")

_NO_QUERY = Draft202012Validator({"type": "object", "maxProperties": 0})
ApiHandler = Callable[[web.Request], Awaitable[web.StreamResponse]]

_ERROR_REF = {"$ref": "#/components/schemas/Error"}
_ERROR_SCHEMA: dict[str, Any] = {"type": "object", "required": ["error"], "properties": {
    "error": {"type": "object", "required": ["code", "message"], "properties": {
        "code": {"type": "string"},
        "message": {"type": "string", "description": "Persian, for people"},
        "details": {"type": "array", "items": {"type": "object"}},
    }},
}}  # fmt: skip


class ApiRegistry:
    """The operations registered with `api_route`, rendered as an OpenAPI 3.1 document."""

    def __init__(self) -> None:
        self.paths: dict[str, dict[str, Any]] = {}

    def add(self, path: str, method: str, operation: dict[str, Any]) -> None:
        ids = {op["operationId"] for ops in self.paths.values() for op in ops.values()}
        if method in self.paths.get(path, {}) or operation["operationId"] in ids:
            raise ValueError(f"{method} {path} ({operation['operationId']}) registered twice")
        self.paths.setdefault(path, {})[method] = operation

    def document(self) -> dict[str, Any]:
        return {
            "openapi": "3.1.0",
            "info": {"title": "Samad 111 API", "version": "1"},
            "servers": [{"url": API_PREFIX}],
            "paths": {path: self.paths[path] for path in sorted(self.paths)},
            "components": {
                "schemas": {"Error": _ERROR_SCHEMA},
                "securitySchemes": {
                    "session": {"type": "apiKey", "in": "cookie", "name": SESSION_COOKIE},
                    "csrf": {"type": "apiKey", "in": "header", "name": CSRF_HEADER},
                },
            },
        }


# Ids of centers, agencies, officials and users are `serial` (int4), the rest `bigserial`;
# a larger id names nothing, and binding it would fail in the driver (a 500).
_INT4_PATH_PARAMS = frozenset({"center_id", "agency_id", "official_id", "user_id"})
_INT4_MAX, _INT8_MAX = 2**31 - 1, 2**63 - 1


def _id_limit(name: str) -> int:
    return _INT4_MAX if name in _INT4_PATH_PARAMS else _INT8_MAX


def _path_schema(name: str, kind: str) -> dict[str, Any]:
    if kind != "integer":
        return {"type": kind}
    return {"type": "integer", "minimum": 0, "maximum": _id_limit(name)}


def _operation(
    method: str,
    path_params: list[tuple[str, str]],
    query_schema: Mapping[str, Any] | None,
    request_schema: Mapping[str, Any] | None,
    response_schema: Mapping[str, Any] | None,
    status: int,
    errors: Iterable[int] = (),
) -> dict[str, Any]:
    params: list[dict[str, Any]] = [
        {"name": n, "in": "path", "required": True, "schema": _path_schema(n, t)}
        for n, t in path_params
    ]
    query = query_schema or {}
    params += [
        {"name": n, "in": "query", "required": n in query.get("required", ()), "schema": s}
        for n, s in query.get("properties", {}).items()
    ]
    codes = {401, 403} | ({400, 422} if params or request_schema else set())
    codes |= {404} if path_params else set()
    codes |= set(errors)
    ok = {"description": "OK", "content": {"application/json": {"schema": response_schema or {}}}}
    responses: dict[str, Any] = {str(status): ok}
    for code in sorted(codes):
        error = {"application/json": {"schema": _ERROR_REF}}
        responses[str(code)] = {"description": ERROR_TITLES[code], "content": error}
    unsafe = method.upper() in UNSAFE_METHODS
    op: dict[str, Any] = {
        "parameters": params,
        "responses": responses,
        "security": [{"session": [], "csrf": []} if unsafe else {"session": []}],
    }
    if request_schema is not None:
        content = {"application/json": {"schema": request_schema}}
        op["requestBody"] = {"required": True, "content": content}
    return op


OPENAPI = web.AppKey("openapi_registry", ApiRegistry)


def api_query(request: web.Request) -> dict[str, Any]:
    """The validated (and type-coerced) query parameters of an `api_route` call."""
    query: dict[str, Any] = request.get(_QUERY_KEY, {})
    return query


def api_query_text(request: web.Request) -> dict[str, str]:
    """`api_query` as the text a form's parser reads (booleans as `true`/`false`)."""
    return {
        k: str(v).lower() if isinstance(v, bool) else str(v) for k, v in api_query(request).items()
    }


def api_body(request: web.Request) -> dict[str, Any]:
    """The validated JSON body of an `api_route` call ({} when it takes none)."""
    body: dict[str, Any] = request.get(_BODY_KEY, {})
    return body


def _validator(schema: Mapping[str, Any] | None, what: str) -> Draft202012Validator | None:
    if schema is None:
        return None
    Draft202012Validator.check_schema(schema)
    if schema.get("type") != "object":
        raise ValueError(f"{what} must be an object schema")
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


def _check(validator: Draft202012Validator | None, value: dict[str, Any], where: str) -> None:
    """Raise 422 listing up to 20 problems (path and jsonschema's message) of `value`."""
    if validator is None:
        return
    errors = sorted(validator.iter_errors(value), key=lambda e: list(e.absolute_path))[:20]
    if errors:
        details = [
            {"location": ".".join([where, *map(str, e.absolute_path)]), "message": e.message}
            for e in errors
        ]
        fields = "، ".join(d["location"] for d in details[:5])
        message = f"داده‌های ارسالی معتبر نیستند ({fields})."
        raise ApiError(422, "validation_failed", message, details)


def _coerce(value: str, schema: Mapping[str, Any]) -> Any:
    """Query strings are text; give the validator the type the schema asks for."""
    kind = schema.get("type")
    text = digits.fa_to_en(digits.ar_to_fa(value)).strip()
    if kind == "integer" and re.fullmatch(r"-?[0-9]{1,18}", text):
        return int(text)
    if kind == "number" and re.fullmatch(r"-?[0-9]{1,18}(\.[0-9]{1,18})?", text):
        return float(text)
    if kind == "boolean" and text in ("true", "false"):
        return text == "true"
    return value


def _query(request: web.Request, schema: Mapping[str, Any]) -> dict[str, Any]:
    properties: Mapping[str, Any] = schema.get("properties", {})
    result: dict[str, Any] = {}
    for name in request.query:
        prop = properties.get(name, {})
        if prop.get("type") == "array":
            items = prop.get("items", {})
            result[name] = [_coerce(v, items) for v in request.query.getall(name)]
        else:
            result[name] = _coerce(request.query[name], prop)
    return result


async def _body(request: web.Request) -> dict[str, Any]:
    if request.content_type != "application/json":
        raise ApiError(
            415 if request.can_read_body else 400,
            "bad_request",
            "بدنهٔ درخواست باید JSON باشد (Content-Type: application/json).",
        )
    try:
        text = await request.text()
        if nesting_depth(text) > MAX_JSON_DEPTH:
            raise ValueError("nested too deeply")
        value = json.loads(text)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise ApiError(400, "bad_request", "بدنهٔ درخواست JSON معتبر نیست.") from None
    if not isinstance(value, dict):
        raise ApiError(422, "validation_failed", "بدنهٔ درخواست باید یک شیء JSON باشد.")
    return value


# Our bodies are two levels deep; thousands of levels exhaust the parser's and the
# validator's recursion (a 500) for a few kilobytes of input.
MAX_JSON_DEPTH = 32


def nesting_depth(text: str) -> int:
    """The deepest bracket nesting in a JSON text (brackets inside strings ignored)."""
    depth = deepest = 0
    for bracket in _NOT_BRACKETS.sub("", _JSON_STRING.sub("", text)):
        if bracket in "[{":
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth -= 1
    return deepest


_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_NOT_BRACKETS = re.compile(r"[^\[\]{}]+")


def _center_ids(request: web.Request, query: dict[str, Any], body: dict[str, Any]) -> list[int]:
    found = []
    path_value = request.match_info.get("center_id")
    if path_value is not None:
        if not path_value.isdigit():
            raise ApiError(404, "not_found", "مرکز پیدا نشد.")
        found.append(int(path_value))
    for source in (query, body):
        value = source.get("center_id")
        if isinstance(value, int) and not isinstance(value, bool):
            found.append(value)
    return found


def _guard(
    handler: ApiHandler,
    roles: tuple[Role, ...],
    query_schema: Mapping[str, Any],
    query_validator: Draft202012Validator | None,
    body_validator: Draft202012Validator | None,
    integer_path_params: list[str],
) -> ApiHandler:
    async def guarded(request: web.Request) -> web.StreamResponse:
        require_user(request, *roles)
        for name in integer_path_params:
            value = request.match_info.get(name, "")
            if len(value) > 19 or not value.isdigit() or int(value) > _id_limit(name):
                raise ApiError(404, "not_found", "چنین موردی پیدا نشد.")
        query = _query(request, query_schema)
        _check(query_validator or _NO_QUERY, query, "query")
        body = await _body(request) if body_validator is not None else {}
        _check(body_validator, body, "body")
        for center_id in _center_ids(request, query, body):
            require_user(request, center_id=center_id)
        request[_QUERY_KEY] = query
        request[_BODY_KEY] = body
        return await handler(request)

    guarded.__name__ = getattr(handler, "__name__", "api_handler")
    return guarded


def api_registry(app: web.Application) -> ApiRegistry:
    if OPENAPI not in app:
        app[OPENAPI] = ApiRegistry()
    return app[OPENAPI]


def api_route(
    app: web.Application,
    method: str,
    path: str,
    handler: ApiHandler,
    *,
    summary: str,
    request_schema: Mapping[str, Any] | None = None,
    query_schema: Mapping[str, Any] | None = None,
    response_schema: Mapping[str, Any] | None = None,
    roles: Iterable[Role] = ALL_ROLES,
    status: int = 200,
    errors: Iterable[int] = (),
    description: str = "",
    tags: Iterable[str] = (),
    operation_id: str | None = None,
) -> None:
    """Register `handler` at `/api/v1{path}` (aiohttp path syntax), documented and guarded.

    `errors` names statuses the handler answers besides the ones every route documents
    (401, 403, and 400/404/422 when it takes input), e.g. 409 for a conflict."""
    method = method.upper()
    if not path.startswith("/") or path.startswith("/api/"):
        raise ValueError(f"give the path below {API_PREFIX}, starting with '/': {path!r}")
    role_tuple = tuple(Role(r) for r in roles)
    if not role_tuple:
        raise ValueError("an API route needs at least one role")
    query_validator = _validator(query_schema, "query_schema")
    body_validator = _validator(request_schema, "request_schema")
    if response_schema is not None:
        Draft202012Validator.check_schema(response_schema)
    path_params = [
        (m.group(1), "integer" if m.group(2) in (r"\d+", "[0-9]+") else "string")
        for m in _PATH_PARAM.finditer(path)
    ]
    operation = _operation(
        method, path_params, query_schema, request_schema, response_schema, status, errors
    )
    operation |= {
        "operationId": operation_id or str(getattr(handler, "__name__", f"{method} {path}")),
        "summary": summary,
        "tags": list(tags),
        "x-roles": [r.value for r in role_tuple],
    }
    if description:
        operation["description"] = description
    doc_path = _PATH_PARAM.sub(lambda m: "{" + m.group(1) + "}", path)
    api_registry(app).add(doc_path, method.lower(), operation)
    guarded = _guard(handler, role_tuple, query_schema or {}, query_validator, body_validator,
                     [n for n, t in path_params if t == "integer"])  # fmt: skip
    app.router.add_route(method, API_PREFIX + path, guarded)


async def openapi_document(request: web.Request) -> web.Response:
    return web.json_response(request.app[OPENAPI].document())


def setup_openapi(app: web.Application) -> None:
    """Serve /api/openapi.json and `GET /api/v1/me` (after `setup_security`, which also
    turns every error under /api/ into JSON)."""
    app.router.add_get("/api/openapi.json", openapi_document)
    summary = "The logged-in user"
    api_route(app, "GET", "/me", me, summary=summary, response_schema=ME_SCHEMA, tags=["accounts"])
