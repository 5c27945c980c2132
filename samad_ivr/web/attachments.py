"""`GET /attachments/{id}`: an answer's file, for those who may read its request.

Agency staff of the request's agency, inspectors and province admins of its province,
and national roles (samad_ivr.web.request_access).  Anyone else, and any id that does
not exist, gets the same 404.  The file is always a download (`Content-Disposition:
attachment`) of its stored type with `nosniff`, so a browser never renders it as a page.
"""

from __future__ import annotations

import logging
from pathlib import Path
from urllib.parse import quote

from aiohttp import web

from samad_ivr.storage.attachments import AttachmentStore
from samad_ivr.storage.request_scope import ScopeRepository
from samad_ivr.web.app import DEPS
from samad_ivr.web.request_access import READ_ROLES, may_read
from samad_ivr.web.security import http_error, require_user

log = logging.getLogger(__name__)

ATTACHMENT_FILES = web.AppKey("attachment_files", AttachmentStore)
NOT_FOUND = "پیوستی با این شناسه پیدا نشد."


def content_disposition(filename: str) -> str:
    """`attachment` with an ASCII fallback name and the real (Persian) one in RFC 5987
    form, which every current browser prefers."""
    stem, dot, ext = filename.rpartition(".")
    if not dot:
        stem, ext = filename, ""
    ascii_stem = (
        "".join(c for c in stem if c.isascii() and (c.isalnum() or c in "_-")) or "attachment"
    )
    ascii_ext = "".join(c for c in ext if c.isascii() and c.isalnum())
    fallback = ascii_stem + (f".{ascii_ext}" if ascii_ext else "")
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


async def attachment(request: web.Request) -> web.StreamResponse:
    user = require_user(request, *READ_ROLES)
    text = request.match_info.get("attachment_id", "")
    if not text.isdigit() or len(text) > 18:
        raise http_error(request, 404, "not_found", NOT_FOUND)
    ref = await ScopeRepository(request.config_dict[DEPS].pool).attachment(int(text))
    if ref is None or not may_read(user, ref.scope):
        raise http_error(request, 404, "not_found", NOT_FOUND)
    store = request.config_dict[ATTACHMENT_FILES]
    path = store.path_of(ref.meta.sha256)
    if not await store.exists(ref.meta.sha256):
        log.error("attachment %s: file %s is missing", ref.meta.id, path)
        raise http_error(request, 404, "file_missing", "پروندهٔ این پیوست در دسترس نیست.")
    return file_download(path, ref.meta.content_type, ref.meta.filename)


def file_download(path: Path, content_type: str, filename: str) -> web.FileResponse:
    """A stored file as a download of its own type that no browser renders as a page
    (also /status's signed links)."""
    return web.FileResponse(
        path,
        headers={
            "Content-Type": content_type,
            "Content-Disposition": content_disposition(filename),
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, no-store",
            "Referrer-Policy": "no-referrer",
            "Content-Security-Policy": "default-src 'none'; sandbox",
        },
    )


def setup_attachments(app: web.Application, store: AttachmentStore) -> None:
    app[ATTACHMENT_FILES] = store
    app.router.add_get(r"/attachments/{attachment_id:\d+}", attachment)
