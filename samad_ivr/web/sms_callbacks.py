"""Kannel's callbacks: delivery reports (DLR) and inbound messages (MO).

Kannel cannot authenticate, so the URL carries a secret token (compared in constant
time). A wrong token, an unknown message or a malformed parameter is a 404 or 400 with
a log line, never a 500: whatever arrives here is untrusted.
"""

from __future__ import annotations

import hmac
import logging
import re
from collections.abc import Callable
from datetime import datetime
from urllib.parse import parse_qsl

from aiohttp import web

from samad_ivr.sms.delivery_store import DeliveryStore
from samad_ivr.sms.inbound import MAX_TEXT, InboundRouter
from samad_ivr.sms.policy import kannel_dlr_status
from samad_ivr.storage.db import StorageUnavailable

log = logging.getLogger(__name__)

_ID_RE = re.compile(r"[1-9][0-9]{0,17}")
_TYPE_RE = re.compile(r"[0-9]{1,3}")
_SAFE_RE = re.compile(r"[\x20-\x7e]{0,200}")
# Kannel's %C for the text bytes of %b; anything else is refused.
_CHARSETS = {"UTF-8": "utf-8", "UTF-16BE": "utf-16-be", "ISO-8859-1": "latin-1",
             "WINDOWS-1252": "cp1252", "": "utf-8"}  # fmt: skip


def _token_ok(request: web.Request, token: str) -> bool:
    given = request.match_info.get("token", "")
    return hmac.compare_digest(given.encode("utf-8", "replace"), token.encode())


def _raw_query(request: web.Request) -> dict[str, bytes]:
    """Query parameters as bytes: Kannel's %b is URL-encoded text in any charset."""
    pairs = parse_qsl(request.rel_url.raw_query_string, keep_blank_values=True, encoding="latin-1")
    return {k: v.encode("latin-1") for k, v in pairs}


def _text(params: dict[str, bytes], name: str) -> str:
    return params.get(name, b"").decode("utf-8", "replace")


class SmsCallbacks:
    def __init__(
        self,
        *,
        token: str,
        outbox: DeliveryStore,
        inbound: InboundRouter,
        clock: Callable[[], datetime],
    ) -> None:
        self._token = token
        self._outbox = outbox
        self._inbound = inbound
        self._clock = clock

    def setup(self, app: web.Application) -> None:
        app.router.add_get("/sms/kannel/dlr/{token}", self.dlr)
        app.router.add_get("/sms/kannel/mo/{token}", self.mo)

    async def dlr(self, request: web.Request) -> web.Response:
        if not _token_ok(request, self._token):
            log.warning("kannel DLR with a wrong token from %s", request.remote)
            raise web.HTTPNotFound()
        p = _raw_query(request)
        raw_id, raw_type = _text(p, "id"), _text(p, "type")
        answer, fid = _text(p, "answer")[:500], _text(p, "fid")
        if (
            not _ID_RE.fullmatch(raw_id)
            or not _TYPE_RE.fullmatch(raw_type)
            or not _SAFE_RE.fullmatch(fid)
        ):
            log.warning("kannel DLR with bad parameters: id=%r type=%r", raw_id[:30], raw_type[:10])
            raise web.HTTPBadRequest(text="bad parameters")
        status = kannel_dlr_status(int(raw_type), answer)
        if status is None:
            log.warning("kannel DLR of unknown type %s for sms %s", raw_type, raw_id)
            raise web.HTTPBadRequest(text="unknown type")
        try:
            outcome = await self._outbox.apply_report(
                provider="kannel",
                outbox_id=int(raw_id),
                provider_message_id=fid or None,
                source="dlr",
                raw_code=raw_type,
                raw=answer,
                status=status,
                now=self._clock(),
            )
        except StorageUnavailable as exc:
            log.error("kannel DLR for sms %s not stored: %s", raw_id, exc)
            raise web.HTTPServiceUnavailable() from None
        if outcome is None:
            log.warning("kannel DLR for unknown sms %s (type %s); ignored", raw_id, raw_type)
            raise web.HTTPNotFound(text="unknown message")
        log.info("kannel DLR type %s for sms %s -> %s", raw_type, raw_id, outcome.status)
        return web.Response(text="")

    async def mo(self, request: web.Request) -> web.Response:
        if not _token_ok(request, self._token):
            log.warning("kannel MO with a wrong token from %s", request.remote)
            raise web.HTTPNotFound()
        p = _raw_query(request)
        source, coding = _text(p, "from")[:64], _text(p, "coding")
        charset = _text(p, "charset").upper()
        if coding == "2":
            charset = "UTF-16BE"
        codec = _CHARSETS.get(charset)
        if codec is None or not source or len(p.get("text", b"")) > 4 * MAX_TEXT:
            log.warning("kannel MO refused: charset=%r coding=%r", charset[:20], coding[:5])
            raise web.HTTPBadRequest(text="bad parameters")
        text = p.get("text", b"").decode(codec, "replace")
        kid = _text(p, "kid")
        try:
            await self._inbound.handle(source, text, kid if _SAFE_RE.fullmatch(kid) else None)
        except StorageUnavailable as exc:
            log.error("kannel MO not stored: %s", exc)
            raise web.HTTPServiceUnavailable() from None
        # An empty body: Kannel must not send a reply SMS.
        return web.Response(text="")
