"""Recording playback: short-lived signed URLs, MP3 made on first play, HTTP Range, and
an audit row written before the first byte.

`GET /api/v1/recordings/{id}/url` hands a user a URL signed for them (5 minutes);
`GET /national/recordings/{id}/audio?exp=..&sig=..[&download=1]` checks the session, the
signature, who may hear the call (samad_ivr.web.request_access: national roles, the
province's admins and inspectors, the staff of the agency its request is assigned to),
makes or finds the MP3, parses Range (416 when unsatisfiable),
then writes the audit row and only after that sends bytes.  Every refusal is a small
JSON error: never audio, never an audit row.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO

from aiohttp import web

from samad_ivr.audio.transcode import TranscodeError
from samad_ivr.national.ranges import ByteRange, RangeNotSatisfiable, parse_range
from samad_ivr.national.signing import DEFAULT_TTL_SECONDS, PlaybackGrant, playback_url, verify
from samad_ivr.storage.db import StorageError
from samad_ivr.storage.listen_audit import ListenAction, NewAuditEntry, RecordingRef
from samad_ivr.web.auth_views import client_ip
from samad_ivr.web.config import WEB_SETTINGS
from samad_ivr.web.national.common import AUDIT, TRANSCODER
from samad_ivr.web.openapi import api_route
from samad_ivr.web.request_access import READ_ROLES, may_play_call
from samad_ivr.web.security import (
    NOT_LOGGED_IN,
    WRONG_CENTER,
    WRONG_ROLE,
    ApiError,
    User,
    api_error_body,
    current_user,
    require_user,
)

# Besides the national office's roles, those who read a request's case file may hear its
# call: inspectors in their province, agency staff for requests assigned to their agency
# (samad_ivr.web.request_access).
PLAY_ROLES = READ_ROLES

CHUNK = 64 * 1024
IN_PROGRESS = "این تماس هنوز در حال ضبط است؛ پس از پایان تماس دوباره پخش کنید."
URL_RESPONSE: dict[str, Any] = {
    "type": "object",
    "required": ["url", "download_url", "expires_at"],
    "properties": {
        "url": {"type": "string"},
        "download_url": {"type": "string"},
        "expires_at": {"type": "string", "format": "date-time"},
    },
}


def _refuse(status: int, code: str, message: str, **headers: str) -> web.Response:
    return web.Response(
        status=status, text=api_error_body(code, message), content_type="application/json",
        headers={"Cache-Control": "no-store", **headers},
    )  # fmt: skip


def _secret(request: web.Request) -> str:
    return request.config_dict[WEB_SETTINGS].secret.value


async def recording_url(request: web.Request) -> web.Response:
    user = require_user(request, *PLAY_ROLES)
    recording_id = int(request.match_info["recording_id"])
    rec = await request.config_dict[AUDIT].recording(recording_id)
    if rec is None:
        raise ApiError(404, "not_found", "ضبطی با این شناسه نیست.")
    if not await may_play_call(request, user, rec.call_id, rec.center_id):
        raise ApiError(403, "forbidden_center", WRONG_CENTER)
    if not rec.finished:
        raise ApiError(409, "recording_in_progress", IN_PROGRESS)
    expires = int(time.time()) + DEFAULT_TTL_SECONDS
    secret = _secret(request)
    play = PlaybackGrant(rec.id, user.id, expires, download=False)
    download = PlaybackGrant(rec.id, user.id, expires, download=True)
    return web.json_response({
        "url": playback_url(secret, play),
        "download_url": playback_url(secret, download),
        "expires_at": datetime.fromtimestamp(expires, UTC).isoformat(),
    })  # fmt: skip


def _grant(request: web.Request, user: User) -> tuple[PlaybackGrant, str] | None:
    exp, sig = request.query.get("exp", ""), request.query.get("sig", "")
    text = request.match_info.get("recording_id", "")
    if not (exp.isascii() and exp.isdigit() and len(exp) <= 12 and text.isdigit()):
        return None
    download = request.query.get("download") == "1"
    return PlaybackGrant(int(text), user.id, int(exp), download), sig


def _open(path: Path) -> BinaryIO:
    return path.open("rb")


async def _send(
    request: web.Request, path: Path, size: int, part: ByteRange | None, download: bool
) -> web.StreamResponse:
    start, length = (part.start, part.length) if part else (0, size)
    response = web.StreamResponse(status=206 if part else 200)
    response.content_type = "audio/mpeg"
    response.content_length = length
    response.headers["Accept-Ranges"] = "bytes"
    response.headers["Cache-Control"] = "private, no-store"
    if part is not None:
        response.headers["Content-Range"] = part.content_range(size)
    if download:
        response.headers["Content-Disposition"] = f'attachment; filename="samad-{path.stem}.mp3"'
    await response.prepare(request)
    if request.method == "HEAD":
        return response
    # Open and close on the loop (quick syscalls): a handle opened in a worker thread
    # leaks when the request is cancelled (client gone) before the thread returns it.
    handle = _open(path)
    try:
        sent = 0
        await asyncio.to_thread(handle.seek, start)
        while sent < length:
            chunk = await asyncio.to_thread(handle.read, min(CHUNK, length - sent))
            if not chunk:
                break
            await response.write(chunk)
            sent += len(chunk)
    finally:
        handle.close()
    await response.write_eof()
    return response


async def recording_audio(request: web.Request) -> web.StreamResponse:
    user = current_user(request)
    if user is None:
        return _refuse(401, "unauthenticated", NOT_LOGGED_IN)
    if user.role not in PLAY_ROLES:
        return _refuse(403, "forbidden_role", WRONG_ROLE)
    parsed = _grant(request, user)
    if parsed is None or not verify(_secret(request), parsed[0], parsed[1], time.time()):
        return _refuse(403, "bad_signature", "پیوند پخش نامعتبر است یا منقضی شده؛ دوباره پخش کنید.")
    grant = parsed[0]
    audit = request.config_dict[AUDIT]
    rec = await audit.recording(grant.recording_id)
    if rec is None:
        return _refuse(404, "not_found", "ضبطی با این شناسه نیست.")
    if not await may_play_call(request, user, rec.call_id, rec.center_id):
        return _refuse(403, "forbidden_center", WRONG_CENTER)
    if not rec.finished:
        # MixMonitor is still writing it: an MP3 of the first half would be cached for good.
        return _refuse(409, "recording_in_progress", IN_PROGRESS)
    try:
        path = await request.config_dict[TRANSCODER].mp3(rec.id, rec.path, rec.sha256)
        size = (await asyncio.to_thread(path.stat)).st_size
    except (TranscodeError, OSError):
        return _refuse(404, "recording_unavailable", "پروندهٔ این ضبط در دسترس نیست.")
    try:
        part = parse_range(request.headers.get("Range"), size)
    except RangeNotSatisfiable:
        return _refuse(
            416,
            "range_not_satisfiable",
            "بازهٔ درخواستی معتبر نیست.",
            **{"Content-Range": f"bytes */{size}", "Accept-Ranges": "bytes"},
        )
    if request.method != "HEAD":
        try:
            await audit.record(_entry(request, user, rec, grant, part))
        except StorageError:
            return _refuse(500, "audit_failed", "ثبت گزارش شنود ممکن نشد؛ پخش انجام نشد.")
    return await _send(request, path, size, part, grant.download)


def _entry(
    request: web.Request,
    user: User,
    rec: RecordingRef,
    grant: PlaybackGrant,
    part: ByteRange | None,
) -> NewAuditEntry:
    return NewAuditEntry(
        user_id=user.id, username=user.username, role=user.role.value,
        action=ListenAction.DOWNLOAD if grant.download else ListenAction.PLAY,
        call_id=rec.call_id, center_id=rec.center_id, ip=client_ip(request),
        user_agent=request.headers.get("User-Agent", "")[:512], recording_id=rec.id,
        byte_range=f"{part.start}-{part.end}" if part else None,
    )  # fmt: skip


def setup_national_play(app: web.Application) -> None:
    app.router.add_get(r"/national/recordings/{recording_id:\d+}/audio", recording_audio)
    api_route(
        app, "GET", r"/recordings/{recording_id:\d+}/url", recording_url,
        summary="A short-lived signed URL to play or download a recording",
        response_schema=URL_RESPONSE, roles=PLAY_ROLES, tags=["national"],
        operation_id="recording_url", errors=[409],
    )  # fmt: skip
