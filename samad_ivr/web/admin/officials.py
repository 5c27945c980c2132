"""Officials: list, create, edit, delete, and the prompt the IVR announces them with.

Saving an official speaks "<title> <agency>" with espeak-ng into
``sounds_dir/officials/<id>``; an admin can replace it with a human recording, which a
later save keeps unless the title or agency changed (then the recording is out of date).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from pathlib import Path

from aiohttp import web

from samad_ivr.admin.jalali import normalise
from samad_ivr.audio.prompts import PromptError, synthesize_async
from samad_ivr.audio.upload import UploadRefused, UploadWorker
from samad_ivr.domain.phone import display_phone, normalise_caller_id
from samad_ivr.storage.agencies import AgencyRepository
from samad_ivr.storage.officials import (
    OfficialData,
    OfficialInfo,
    OfficialInUse,
    OfficialRejected,
    OfficialRepository,
)
from samad_ivr.web.admin.common import (
    AdminContext,
    admin_center,
    deps,
    form_fields,
    not_found,
    path_int,
    pool,
    redirect,
    render,
)
from samad_ivr.web.admin.desk_credentials import (
    DESK_ONE_CENTER,
    OTHER_CENTER,
    desk_of_other_center,
    setup_desk_credentials,
)
from samad_ivr.web.app import DEPS

log = logging.getLogger(__name__)

DESK_RE = re.compile(r"(PJSIP|SIP|IAX2|Local)/[A-Za-z0-9_.@+-]+(/n)?")
MAX_UPLOAD_BYTES = 10 * 1024 * 1024
# Uploaded prompts decode here: bounded, own thread, subprocesses with limits.
UPLOADS = web.AppKey("prompt_uploads", UploadWorker)
MAX_TEXT = 200
FORM_KEYS = ("name", "title", "agency_id", "desk_endpoint", "mobile", "deputy_id")
BAD_AGENCY = "دستگاه انتخاب‌شده در این مرکز نیست."
BAD_DEPUTY = "جانشین باید مسئول دیگری از همین مرکز باشد."


class FormInvalid(ValueError):
    pass


def _text(fields: dict[str, str], name: str, label: str) -> str:
    value = " ".join(normalise(fields.get(name, "")).split())
    if not value:
        raise FormInvalid(f"{label} را وارد کنید.")
    if len(value) > MAX_TEXT:
        raise FormInvalid(f"{label} بیش از ۲۰۰ نویسه است.")
    return value


def _choice(fields: dict[str, str], name: str, allowed: set[int], message: str) -> int | None:
    raw = normalise(fields.get(name, ""))
    if not raw:
        return None
    if not raw.isdigit() or int(raw) not in allowed:
        raise FormInvalid(message)
    return int(raw)


def validate_official(
    fields: dict[str, str], agency_ids: set[int], official_ids: set[int], own_id: int | None
) -> tuple[OfficialData, list[str]]:
    """The official's data from a form, and every Persian error found (empty when valid)."""
    errors: list[str] = []
    other_ids = official_ids - {own_id or 0}
    checks: dict[str, Callable[[], object]] = {
        "name": lambda: _text(fields, "name", "نام مسئول"),
        "title": lambda: _text(fields, "title", "سمت"),
        "agency_id": lambda: _choice(fields, "agency_id", agency_ids, BAD_AGENCY),
        "desk_endpoint": lambda: _desk(fields),
        "mobile": lambda: _mobile(fields),
        "deputy_id": lambda: _choice(fields, "deputy_id", other_ids, BAD_DEPUTY),
    }
    values: dict[str, object] = {}
    for name, check in checks.items():
        try:
            values[name] = check()
        except FormInvalid as exc:
            errors.append(str(exc))
            values[name] = None
    return OfficialData(**values), errors  # type: ignore[arg-type]


def _desk(fields: dict[str, str]) -> str:
    desk = normalise(fields.get("desk_endpoint", ""))
    if not DESK_RE.fullmatch(desk):
        raise FormInvalid(
            "میز باید به شکل PJSIP/desk-1 باشد (SIP، IAX2 یا Local هم پذیرفته است؛ "
            "فقط حروف لاتین، رقم و _ . @ + -)."
        )
    return desk


def _mobile(fields: dict[str, str]) -> str | None:
    raw = normalise(fields.get("mobile", ""))
    if not raw:
        return None
    number = normalise_caller_id(raw)
    if number.e164 is None or not number.is_mobile:
        raise FormInvalid("شمارهٔ همراه باید یک شمارهٔ همراه ایران باشد (مثلاً ۰۹۱۲۱۲۳۴۵۶۷).")
    return number.e164


def prompt_text(title: str, agency: str | None) -> str:
    return f"{title}، {agency}" if agency else title


def prompt_base(request: web.Request, official_id: int) -> Path:
    return deps(request).settings.sounds_dir / "officials" / str(official_id)


async def _page(
    request: web.Request,
    ctx: AdminContext,
    official: OfficialInfo | None,
    form: dict[str, str],
    errors: list[str] | None = None,
    status: int = 200,
) -> web.Response:
    agencies = await AgencyRepository(pool(request)).list(ctx.center.id)
    officials = await OfficialRepository(pool(request)).list(ctx.center.id)
    form = {key: form.get(key, "") for key in FORM_KEYS}
    return render(
        request, "admin/official.html", ctx, status=status, official=official, form=form,
        agencies=agencies, officials=officials, errors=errors or [], warning=None,
        softphone_prefix=request.config_dict[DEPS].settings.softphone.prefix,
    )  # fmt: skip


def _form_of(o: OfficialInfo) -> dict[str, str]:
    return {
        "name": o.name,
        "title": o.title,
        "agency_id": "" if o.agency_id is None else str(o.agency_id),
        "desk_endpoint": o.desk_endpoint,
        "mobile": display_phone(o.mobile) if o.mobile else "",
        "deputy_id": "" if o.deputy_id is None else str(o.deputy_id),
    }


async def officials_page(request: web.Request) -> web.Response:
    ctx = await admin_center(request)
    officials = await OfficialRepository(pool(request)).list(ctx.center.id)
    return render(request, "admin/officials.html", ctx, officials=officials)


async def official_page(request: web.Request) -> web.Response:
    ctx = await admin_center(request)
    if request.match_info.get("official_id") == "new":
        return await _page(request, ctx, None, {})
    official = await OfficialRepository(pool(request)).get(
        ctx.center.id, path_int(request, "official_id")
    )
    if official is None:
        raise not_found(request)
    return await _page(request, ctx, official, _form_of(official))


async def save_official(request: web.Request) -> web.Response:
    ctx = await admin_center(request)
    repo = OfficialRepository(pool(request))
    existing: OfficialInfo | None = None
    if request.match_info.get("official_id") != "new":
        existing = await repo.get(ctx.center.id, path_int(request, "official_id"))
        if existing is None:
            raise not_found(request)
    fields = await form_fields(request)
    agencies = {a.id: a.name for a in await AgencyRepository(pool(request)).list(ctx.center.id)}
    others = {o.id for o in await repo.list(ctx.center.id)}
    own_id = existing.id if existing else None
    data, errors = validate_official(fields, set(agencies), others, own_id)
    if not errors and (
        taken := await desk_of_other_center(request, ctx.center.id, data.desk_endpoint)
    ):
        errors = [taken]
    if errors:
        return await _page(request, ctx, existing, fields, errors, 422)
    try:
        if existing is None:
            official_id = await repo.create(ctx.center.id, data)
        else:
            official_id = existing.id
            await repo.update(ctx.center.id, official_id, data)
    except OfficialRejected as exc:
        log.warning("official rejected by %s", exc.constraint)
        message = (
            OTHER_CENTER if exc.constraint == DESK_ONE_CENTER else "داده‌های مسئول پذیرفته نشد."
        )
        return await _page(request, ctx, existing, fields, [message], 422)
    agency = agencies.get(data.agency_id) if data.agency_id is not None else None
    stale = existing is None or existing.prompt_source != "uploaded" or (
        (existing.title, existing.agency_id) != (data.title, data.agency_id)
    )  # fmt: skip
    done = "official_saved"
    if stale:
        try:
            await synthesize_async(
                prompt_text(data.title, agency), prompt_base(request, official_id)
            )
            await repo.set_prompt_source(official_id, "generated")
            done = "official_saved_prompt"
        except PromptError as exc:
            log.warning("prompt for official %s not generated: %s", official_id, exc)
            done = "official_saved_noprompt"
    raise redirect(ctx.url(f"/officials/{official_id}"), done)


async def delete_official(request: web.Request) -> web.Response:
    ctx = await admin_center(request)
    repo = OfficialRepository(pool(request))
    official = await repo.get(ctx.center.id, path_int(request, "official_id"))
    if official is None:
        raise not_found(request)
    try:
        await repo.delete(ctx.center.id, official.id)
    except OfficialInUse:
        message = "این مسئول نوبت کشیک، تماس یا درخواست ثبت‌شده دارد و حذف نمی‌شود."
        return await _page(request, ctx, official, _form_of(official), [message], 409)
    raise redirect(ctx.url("/officials"), "official_deleted")


async def upload_prompt(request: web.Request) -> web.Response:
    ctx = await admin_center(request)
    repo = OfficialRepository(pool(request))
    official = await repo.get(ctx.center.id, path_int(request, "official_id"))
    if official is None:
        raise not_found(request)
    error = None
    try:
        form = await request.post()
    except web.HTTPRequestEntityTooLarge:
        form, error = None, "پروندهٔ صوتی بزرگ‌تر از ۱۰ مگابایت است."
    upload = form.get("recording") if form is not None else None
    if error is None:
        if not isinstance(upload, web.FileField):
            error = "یک پروندهٔ صوتی انتخاب کنید."
        else:
            data = upload.file.read(MAX_UPLOAD_BYTES + 1)
            if not data:
                error = "پروندهٔ صوتی خالی است."
            elif len(data) > MAX_UPLOAD_BYTES:
                error = "پروندهٔ صوتی بزرگ‌تر از ۱۰ مگابایت است."
            else:
                error = await _install_recording(request, data, prompt_base(request, official.id))
    if error is not None:
        return await _page(request, ctx, official, _form_of(official), [error], 422)
    await repo.set_prompt_source(official.id, "uploaded")
    raise redirect(ctx.url(f"/officials/{official.id}"), "prompt_uploaded")


async def _install_recording(request: web.Request, data: bytes, out_base: Path) -> str | None:
    """Decode and convert an upload; a Persian error, or None when installed.

    The upload's name and type are ignored; only the audio formats `audio.upload` lists,
    decoded there with file-only protocols and time and size limits, become a prompt.
    """
    try:
        await request.config_dict[UPLOADS].install(data, out_base)
    except UploadRefused as exc:
        log.info("uploaded prompt refused: %s", exc)
        if "silent" in str(exc):
            return "پروندهٔ صوتی فقط سکوت است."
        if "long" in str(exc):
            return "پروندهٔ صوتی بیش از دو دقیقه است."
        return "این پرونده صدای قابل پخش نیست (قالب صوتی شناخته نشد)."
    return None


async def _close_upload_worker(app: web.Application) -> None:
    app[UPLOADS].close()


def setup_official_routes(app: web.Application) -> None:
    base = "/admin/centers/{center_id}/officials"
    app.router.add_get(base, officials_page)
    app.router.add_get(base + "/{official_id}", official_page)
    app.router.add_post(base + "/{official_id}", save_official)
    app.router.add_post(base + "/{official_id}/delete", delete_official)
    app.router.add_post(base + "/{official_id}/prompt", upload_prompt)
    setup_desk_credentials(app, base)
    app[UPLOADS] = UploadWorker()  # before the app is frozen; its thread starts on demand
    app.on_cleanup.append(_close_upload_worker)
