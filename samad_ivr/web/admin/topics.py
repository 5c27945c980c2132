"""Topics of a center: add, rename, reorder, retire and bring back (never delete).

GET  /admin/centers/{c}/topics                    the list
POST /admin/centers/{c}/topics                    add (name, optional latin code)
POST /admin/centers/{c}/topics/{code}             rename
POST /admin/centers/{c}/topics/{code}/move        direction=up|down
POST /admin/centers/{c}/topics/{code}/active      active=1 (bring back) | 0 (retire)
"""

from __future__ import annotations

from aiohttp import web

from samad_ivr.admin.jalali import normalise
from samad_ivr.storage.topics import CODE_RE, MAX_NAME, TopicError, TopicRepository
from samad_ivr.web.admin.common import (
    AdminContext,
    admin_center,
    form_fields,
    not_found,
    pool,
    redirect,
    render,
)
from samad_ivr.web.topic_names import setup_topic_catalog, topic_catalog

DONE = {
    "topic_added": "موضوع افزوده شد.",
    "topic_renamed": "نام موضوع ذخیره شد.",
    "topic_moved": "ترتیب موضوع‌ها ذخیره شد.",
    "topic_retired": "موضوع بایگانی شد؛ درخواست‌های پیشین نام آن را نگه می‌دارند.",
    "topic_restored": "موضوع دوباره فعال شد.",
}


def topic_name(fields: dict[str, str]) -> tuple[str, str | None]:
    """The normalised name and a Persian error, if any."""
    name = " ".join(normalise(fields.get("name", "")).split())
    if not name:
        return name, "نام موضوع را وارد کنید."
    if len(name) > MAX_NAME:
        return name, "نام موضوع بیش از ۲۰۰ نویسه است."
    return name, None


def _code(request: web.Request) -> str:
    code = request.match_info.get("code", "")
    if not CODE_RE.fullmatch(code):
        raise not_found(request)
    return code


async def _page(
    request: web.Request,
    ctx: AdminContext,
    errors: list[str] | None = None,
    status: int = 200,
    form: dict[str, str] | None = None,
) -> web.Response:
    topics = await TopicRepository(pool(request)).list(ctx.center.id)
    return render(
        request, "admin/topics.html", ctx, status=status, topics=topics,
        errors=errors or [], form=form or {"name": "", "code": ""},
        notice=DONE.get(request.query.get("done", "")),
    )  # fmt: skip


async def topics_page(request: web.Request) -> web.Response:
    return await _page(request, await admin_center(request))


def _done(request: web.Request, ctx: AdminContext, key: str) -> web.HTTPSeeOther:
    topic_catalog(request).forget(ctx.center.id)
    return redirect(ctx.url("/topics"), key)


async def add_topic(request: web.Request) -> web.Response:
    ctx = await admin_center(request)
    fields = await form_fields(request)
    name, error = topic_name(fields)
    code = normalise(fields.get("code", "")).lower() or None
    if error is None and code is not None and not CODE_RE.fullmatch(code):
        error = "رمز موضوع باید با حرف لاتین کوچک شروع شود و فقط حرف، رقم و _ داشته باشد."
    if error is None:
        try:
            await TopicRepository(pool(request)).add(ctx.center.id, name, code)
        except TopicError as exc:
            error = exc.message_fa
    if error is not None:
        form = {"name": fields.get("name", ""), "code": fields.get("code", "")}
        return await _page(request, ctx, [error], 422, form)
    raise _done(request, ctx, "topic_added")


async def rename_topic(request: web.Request) -> web.Response:
    ctx = await admin_center(request)
    code = _code(request)
    name, error = topic_name(await form_fields(request))
    if error is None:
        try:
            await TopicRepository(pool(request)).rename(ctx.center.id, code, name)
        except TopicError as exc:
            if isinstance(exc, LookupError):
                raise not_found(request) from None
            error = exc.message_fa
    if error is not None:
        return await _page(request, ctx, [error], 422)
    raise _done(request, ctx, "topic_renamed")


async def move_topic(request: web.Request) -> web.Response:
    ctx = await admin_center(request)
    code = _code(request)
    direction = (await form_fields(request)).get("direction", "")
    if direction not in ("up", "down"):
        return await _page(request, ctx, ["جهت جابه‌جایی نامعتبر است."], 422)
    try:
        await TopicRepository(pool(request)).move(
            ctx.center.id, code, -1 if direction == "up" else 1
        )
    except LookupError:
        raise not_found(request) from None
    raise _done(request, ctx, "topic_moved")


async def set_topic_active(request: web.Request) -> web.Response:
    ctx = await admin_center(request)
    code = _code(request)
    active = (await form_fields(request)).get("active", "")
    if active not in ("0", "1"):
        return await _page(request, ctx, ["وضعیت موضوع نامعتبر است."], 422)
    try:
        await TopicRepository(pool(request)).set_active(ctx.center.id, code, active == "1")
    except LookupError:
        raise not_found(request) from None
    raise _done(request, ctx, "topic_restored" if active == "1" else "topic_retired")


def setup_topic_routes(app: web.Application) -> None:
    setup_topic_catalog(app)
    base = "/admin/centers/{center_id}/topics"
    app.router.add_get(base, topics_page)
    app.router.add_post(base, add_topic)
    app.router.add_post(base + "/{code}", rename_topic)
    app.router.add_post(base + "/{code}/move", move_topic)
    app.router.add_post(base + "/{code}/active", set_topic_active)
