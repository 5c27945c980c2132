"""`/desk/ws`: live desk and queue state pushed to the browser over a WebSocket.

Authenticated by the session cookie before the upgrade.  An official sees only their
own desk (the endpoint of `user.official_id`) and their center's queue; a province admin
sees their center's queue, a superuser every queue.  Cross-site pages cannot open it:
the Origin must be this host (cookies alone would let any site connect).

Messages (JSON): `{"type": "desk", "status": "idle|ringing|busy", "uniqueid", "linkedid",
"since"}` and `{"type": "queues", "connected": bool, "queues": [{"queue", "longest_joined_at",
"callers": [{"number", "joined_at"}], "callbacks": [{"number", "queued_at", "attempts",
"ringing", "next_attempt_at"}]}]}` with times as epoch milliseconds, plus
`server_now` so the page can count waits with the server's clock.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import datetime
from urllib.parse import urlsplit

from aiohttp import WSCloseCode, web

from samad_ivr.live.hub import LiveHub, Message, Render
from samad_ivr.live.state import LiveState
from samad_ivr.live.views import PendingCallback, desk_view, queue_boards
from samad_ivr.storage.desk import DeskRepository
from samad_ivr.web.app import DEPS
from samad_ivr.web.desk.views import ADMIN_ROLES, LIVE_HUB, NO_DESK
from samad_ivr.web.security import (
    NOT_LOGGED_IN,
    Role,
    User,
    current_user,
    http_error,
    require_user,
)

log = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 20.0
SEND_QUEUE_SIZE = 32
SEND_TIMEOUT_SECONDS = 10.0


def _ms(instant: datetime | None) -> int | None:
    return None if instant is None else int(instant.timestamp() * 1000)


def _callback(c: PendingCallback) -> Message:
    return {
        "number": c.number,
        "queued_at": _ms(c.queued_at),
        "attempts": c.attempts,
        "ringing": c.ringing,
        "next_attempt_at": _ms(c.next_attempt_at),
    }


def _queues_message(hub: LiveHub, state: LiveState, queues: list[str] | None, up: bool) -> Message:
    boards = queue_boards(state, hub.now(), queues, hub.callbacks)
    return {
        "type": "queues",
        "connected": up,
        "queues": [
            {
                "queue": b.queue,
                "callers": [{"number": c.number, "joined_at": _ms(c.joined_at)} for c in b.callers],
                "longest_joined_at": _ms(b.callers[0].joined_at) if b.callers else None,
                "callbacks": [_callback(c) for c in b.callbacks],
            }
            for b in boards
        ],
    }


def renderer(hub: LiveHub, endpoint: str | None, queues: list[str] | None) -> Render:
    """The messages one browser gets: its desk (officials only) and its queues."""

    def render(state: LiveState, connected: bool) -> list[Message]:
        messages = [_queues_message(hub, state, queues, connected)]
        if endpoint is not None:
            view = desk_view(state, endpoint)
            messages.append(
                {
                    "type": "desk",
                    "status": view.status,
                    "uniqueid": view.uniqueid,
                    "linkedid": view.linkedid,
                    "since": _ms(view.since),
                }
            )
        return messages

    return render


def _same_origin(request: web.Request) -> bool:
    origin = request.headers.get("Origin")
    if origin is None:
        return True  # not a browser page (browsers always send Origin on WebSockets)
    return urlsplit(origin).netloc == request.host


async def _scope(request: web.Request, user: User) -> tuple[str | None, list[str] | None]:
    repo = DeskRepository(request.config_dict[DEPS].pool)
    if user.role is Role.OFFICIAL:
        desk = None if user.official_id is None else await repo.desk_of(user.official_id)
        if desk is None:
            raise http_error(request, 403, "no_desk", NO_DESK)
        return desk.endpoint, [desk.queue_name]
    if user.role is Role.SUPERUSER:
        return None, None
    return None, await repo.queues(user.center_id)


async def live_ws(request: web.Request) -> web.StreamResponse:
    if request.headers.get("Upgrade", "").lower() != "websocket":
        raise http_error(request, 400, "bad_request", "این نشانی فقط برای اتصال زنده است.")
    if current_user(request) is None:
        # A socket cannot follow the login redirect that require_user gives a page.
        raise http_error(request, 401, "unauthenticated", NOT_LOGGED_IN)
    user = require_user(request, Role.OFFICIAL, *ADMIN_ROLES)
    if not _same_origin(request):
        raise http_error(request, 403, "forbidden_origin", "اتصال از این نشانی پذیرفته نیست.")
    endpoint, queues = await _scope(request, user)
    hub = request.config_dict[LIVE_HUB]
    ws = web.WebSocketResponse(heartbeat=HEARTBEAT_SECONDS, max_msg_size=4096)
    await ws.prepare(request)
    subscriber = hub.subscribe(renderer(hub, endpoint, queues), SEND_QUEUE_SIZE)
    sender = asyncio.create_task(_send(ws, subscriber.queue, subscriber.overflowed, hub))
    try:
        # The browser sends nothing we need; reading keeps pings and close handled.
        async for _message in ws:
            pass
    finally:
        hub.unsubscribe(subscriber)
        sender.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await sender
    return ws


async def _send(
    ws: web.WebSocketResponse, queue: asyncio.Queue[str], overflowed: asyncio.Event, hub: LiveHub
) -> None:
    server_now = '"server_now": {}, '
    while not ws.closed:
        get = asyncio.ensure_future(queue.get())
        dropped = asyncio.ensure_future(overflowed.wait())
        done, pending = await asyncio.wait({get, dropped}, return_when=asyncio.FIRST_COMPLETED)
        for task in pending:
            task.cancel()
        if dropped in done:
            log.warning("live desk: a browser fell behind; closing its connection")
            await ws.close(code=WSCloseCode.TRY_AGAIN_LATER, message=b"too slow")
            return
        text = get.result()
        # Stamped at send time, outside the change detection of the hub.
        stamped = "{" + server_now.format(_ms(hub.now())) + text[1:]
        try:
            await asyncio.wait_for(ws.send_str(stamped), SEND_TIMEOUT_SECONDS)
        except (TimeoutError, ConnectionError) as exc:
            log.warning("live desk: send failed (%s); closing", exc)
            await ws.close(code=WSCloseCode.TRY_AGAIN_LATER, message=b"send failed")
            return
