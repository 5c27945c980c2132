"""Headers on every response, body limits for strangers, deep JSON (issue 15, item 8)."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from samad_ivr.storage.accounts import Role
from samad_ivr.web.app import Feature
from samad_ivr.web.hardening import ANONYMOUS_MAX_BODY
from samad_ivr.web.openapi import api_body, api_route

from .conftest import Client, MakeUser, login_form_token

SEEN: list[int] = []


async def echo(request: web.Request) -> web.Response:
    return web.json_response({"keys": sorted(api_body(request))})


async def upload(request: web.Request) -> web.Response:
    body = await request.read()
    SEEN.append(len(body))
    return web.Response(text=str(len(body)))


def pages(app: web.Application) -> None:
    api_route(app, "POST", "/echo", echo, summary="echo",
              request_schema={"type": "object"}, roles=[Role.SUPERUSER])  # fmt: skip
    app.router.add_post("/upload", upload)


@pytest.fixture
def web_features() -> Sequence[Feature]:
    return (pages,)


def assert_hardened(response: Any) -> None:
    csp = response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp
    assert "script-src 'self' 'nonce-" in csp
    assert "unsafe-inline" not in csp.split("style-src-attr")[0]
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize(
    "path", ["/login", "/healthz", "/api/v1/me", "/api/v1/openapi.json", "/no-such-page"]
)
async def test_every_response_carries_csp_referrer_policy_and_nosniff(
    web_client: Client, path: str
) -> None:
    assert_hardened(await web_client.get(path))


async def test_each_response_gets_a_fresh_nonce(
    web_client: Client, make_user: MakeUser, login: Any
) -> None:
    await login(web_client, await make_user(Role.SUPERUSER))
    response = await web_client.get("/login")
    nonce = response.headers["Content-Security-Policy"].split("'nonce-")[1].split("'")[0]
    other = (await web_client.get("/login")).headers["Content-Security-Policy"]
    assert nonce not in other  # a fresh nonce per response


async def test_an_anonymous_11_mb_post_is_refused_before_its_body_is_sent(
    web_client: Client,
) -> None:
    token = await login_form_token(web_client)
    reader, writer = await asyncio.open_connection("127.0.0.1", web_client.server.port)
    cookies = "; ".join(f"{c.key}={c.value}" for c in web_client.session.cookie_jar)
    writer.write(
        b"POST /login HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        b"Content-Type: application/x-www-form-urlencoded\r\n"
        + f"Cookie: {cookies}\r\nContent-Length: {11 * 1024 * 1024}\r\n\r\n".encode()
        + f"_csrf={token}&username=a&password=".encode()
    )
    await writer.drain()
    try:
        async with asyncio.timeout(3):
            status_line = await reader.readline()
    finally:
        writer.close()
    assert status_line.startswith(b"HTTP/1.1 413")


async def test_an_anonymous_chunked_body_stops_being_read_at_the_limit(
    web_client: Client,
) -> None:
    async def chunks() -> Any:
        for _ in range(40):
            yield b"x" * 4096

    SEEN.clear()
    response = await web_client.post(
        "/upload", data=chunks(), headers={"Content-Type": "application/octet-stream"}
    )
    assert response.status in (403, 413)  # no CSRF token either way; never read whole
    assert SEEN == []


async def test_a_signed_in_user_may_still_send_a_body_above_the_anonymous_limit(
    web_client: Client, make_user: MakeUser, login: Any, csrf_token_of: Any
) -> None:
    await login(web_client, await make_user(Role.SUPERUSER))
    token = await csrf_token_of(web_client)
    SEEN.clear()
    body = b"x" * (ANONYMOUS_MAX_BODY * 4)
    response = await web_client.post("/upload", data=body, headers={"X-CSRF-Token": token})
    assert response.status == 200
    assert [len(body)] == SEEN


@pytest.mark.parametrize("depth", [33, 100_000])
async def test_deeply_nested_json_is_a_400_not_a_500(
    web_client: Client, make_user: MakeUser, login: Any, csrf_token_of: Any, depth: int
) -> None:
    await login(web_client, await make_user(Role.SUPERUSER))
    token = await csrf_token_of(web_client)
    body = '{"a": ' + "[" * depth + "]" * depth + "}"
    response = await web_client.post(
        "/api/v1/echo",
        data=body,
        headers={"X-CSRF-Token": token, "Content-Type": "application/json"},
    )
    assert response.status == 400
    assert (await response.json())["error"]["code"] == "bad_request"


async def test_ordinary_json_still_passes(
    web_client: Client, make_user: MakeUser, login: Any, csrf_token_of: Any
) -> None:
    await login(web_client, await make_user(Role.SUPERUSER))
    token = await csrf_token_of(web_client)
    response = await web_client.post(
        "/api/v1/echo", json={"a": [[1, {"b": "]]]"}]], "c": 1}, headers={"X-CSRF-Token": token}
    )
    assert response.status == 200
    assert await response.json() == {"keys": ["a", "c"]}


TEMPLATES = Path(__file__).resolve().parents[2] / "samad_ivr" / "web" / "templates"


def test_every_inline_script_or_style_block_in_a_template_carries_the_nonce() -> None:
    offenders = []
    for path in sorted(TEMPLATES.rglob("*.html")):
        for tag in re.findall(r"<(?:script|style)\b[^>]*>", path.read_text(encoding="utf-8")):
            if "src=" not in tag and "csp_nonce()" not in tag:
                offenders.append(f"{path.name}: {tag}")
        assert not re.search(r"\son[a-z]+=", path.read_text(encoding="utf-8")), path.name
    assert offenders == []
