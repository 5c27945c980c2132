"""Reading the answer form as a stream: text fields, then files straight to disk.

The form is `multipart/form-data` with `_csrf` first (browsers send fields in document
order), then `version`, `body` and up to N `files`.  Nothing is buffered beyond one
chunk: each file goes to a staging file while it is hashed (samad_ivr.storage.attachments)
and reading stops at the first byte over a limit, so an oversized upload is refused
(413) having cost one chunk of memory.  The CSRF token is checked from the first part,
before any file is read; the route is exempt from the middleware's check because that
check would read the whole body into memory first.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass, field
from urllib.parse import unquote

from aiohttp import BodyPartReader, MultipartReader, web

from samad_ivr.admin.jalali import fa_digits, normalise
from samad_ivr.settings import LifecycleSettings
from samad_ivr.storage.attachments import AttachmentStore, IncomingFile, StagedFile
from samad_ivr.web.casefile import size_text
from samad_ivr.web.csrf import CSRF_FIELD, csrf_token

__all__ = ["AnswerForm", "FormRefused", "read_answer_form"]

CHUNK = 64 * 1024
MAX_TEXT_BYTES = 64 * 1024  # the answer's 10,000 characters in UTF-8, and some
MAX_TOKEN_BYTES = 200
TEXT_FIELDS = {"version", "body"}
_ARABIC_LETTERS = str.maketrans({"ي": "ی", "ى": "ی", "ك": "ک"})


class FormRefused(Exception):
    """The form cannot be used; `status` and a Persian `message` for the page."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(slots=True)
class AnswerForm:
    """What was read; `refused` is set when reading stopped (the text read so far stays,
    so the page can show it again)."""

    version: int | None = None
    body: str = ""
    files: list[StagedFile] = field(default_factory=list)
    refused: FormRefused | None = None


async def _read_text(part: BodyPartReader, limit: int) -> str:
    data = bytearray()
    while chunk := await part.read_chunk(CHUNK):
        data += chunk
        if len(data) > limit:
            raise FormRefused(413, "متن فرم بیش از اندازهٔ مجاز است.")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise FormRefused(400, "متن فرم با نویسه‌های نامعتبر فرستاده شده است.") from None


def clean_body(text: str) -> str:
    """Browsers send CRLF; Arabic ي/ك become Persian letters."""
    return text.replace("\r\n", "\n").replace("\r", "\n").translate(_ARABIC_LETTERS).strip()


async def _check_csrf(request: web.Request, reader: MultipartReader) -> None:
    part = await reader.next()
    if not isinstance(part, BodyPartReader) or part.name != CSRF_FIELD:
        raise FormRefused(403, "فرم بدون توکن امنیتی فرستاده شده است؛ صفحه را دوباره باز کنید.")
    submitted = await _read_text(part, MAX_TOKEN_BYTES)
    if not hmac.compare_digest(csrf_token(request).encode(), submitted.encode()):
        raise FormRefused(403, "توکن امنیتی فرم نامعتبر است؛ صفحه را دوباره باز کنید.")


class _Limits:
    def __init__(self, settings: LifecycleSettings) -> None:
        self.per_file = settings.attachment_max_bytes
        self.total = settings.attachments_max_bytes
        self.files = settings.attachments_max_files
        self.used = 0

    def count(self, incoming: IncomingFile, name: str) -> None:
        if incoming.size > self.per_file:
            raise FormRefused(413, f"پروندهٔ «{name}» بزرگ‌تر از {size_text(self.per_file)} است.")
        if self.used + incoming.size > self.total:
            raise FormRefused(
                413, f"پیوست‌های یک پاسخ روی هم حداکثر {size_text(self.total)} می‌توانند باشند."
            )


def _filename(part: BodyPartReader) -> str:
    """The file's name as the user sees it: some clients percent-encode non-ASCII names."""
    name = part.filename or ""
    if "%" in name:
        try:
            return unquote(name, errors="strict")
        except UnicodeDecodeError:
            return name
    return name


async def _read_file(
    part: BodyPartReader, store: AttachmentStore, limits: _Limits
) -> StagedFile | None:
    name = _filename(part)
    incoming = await store.incoming(name)
    try:
        while chunk := await part.read_chunk(CHUNK):
            await incoming.write(chunk)
            limits.count(incoming, name)
            if incoming.head_complete and incoming.content_type is None:
                raise FormRefused(422, f"«{name}» پروندهٔ PDF، JPEG یا PNG نیست.")
        if incoming.size == 0 and not name:
            await incoming.discard()  # the browser's empty part: no file was chosen
            return None
        if incoming.content_type is None:
            raise FormRefused(422, f"«{name or 'پرونده'}» پروندهٔ PDF، JPEG یا PNG نیست.")
        staged = await incoming.finish()
    except BaseException:
        await incoming.discard()
        raise
    limits.used += staged.size
    return staged


async def _read_parts(
    request: web.Request, store: AttachmentStore, settings: LifecycleSettings, form: AnswerForm
) -> None:
    reader = await request.multipart()
    await _check_csrf(request, reader)
    limits = _Limits(settings)
    while (part := await reader.next()) is not None:
        if not isinstance(part, BodyPartReader):
            raise FormRefused(400, "فرم ساختار نامعتبری دارد.")
        if part.name == "files":
            if part.filename and len(form.files) >= limits.files:
                raise FormRefused(
                    422, f"حداکثر {fa_digits(limits.files)} پیوست برای هر پاسخ پذیرفته می‌شود."
                )
            staged = await _read_file(part, store, limits)
            if staged is not None:
                form.files.append(staged)
        elif part.name in TEXT_FIELDS:
            text = await _read_text(part, MAX_TEXT_BYTES)
            if part.name == "body":
                form.body = clean_body(text)
            else:
                digits = normalise(text)
                form.version = int(digits) if digits.isascii() and digits.isdigit() else None
        else:
            await part.release()  # unknown fields are ignored, not stored


async def read_answer_form(
    request: web.Request, store: AttachmentStore, settings: LifecycleSettings
) -> AnswerForm:
    """Read the whole form or stop at the first problem (`form.refused`); staged files of
    a refused form are already removed."""
    form = AnswerForm()
    if request.content_type != "multipart/form-data":
        form.refused = FormRefused(415, "فرم پاسخ باید با پیوست (multipart/form-data) فرستاده شود.")
        return form
    try:
        await _read_parts(request, store, settings, form)
    except FormRefused as refused:
        form.refused = refused
    except ValueError:
        # aiohttp's multipart parser on a malformed body (bad boundary, headers).
        form.refused = FormRefused(400, "فرم ساختار نامعتبری دارد.")
    except BaseException:  # the client went away (cancelled) or the disk failed
        await _remove(store, form)
        raise
    if form.refused is not None:
        await _remove(store, form)
    return form


async def _remove(store: AttachmentStore, form: AnswerForm) -> None:
    for staged in form.files:
        await store.remove_staged(staged)
    form.files = []
