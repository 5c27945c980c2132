"""Transcription on the admin console: the queue's progress and the topic lexicon.

GET  /admin/transcription                               backlog, throughput, per recording
POST /admin/transcription/{recording_id}/requeue        transcribe a recording again
GET  /admin/centers/{c}/topic-keywords                 the keyword lexicon of a center
POST /admin/centers/{c}/topic-keywords                 add (topic, phrase, weight)
POST /admin/centers/{c}/topic-keywords/remove          remove (topic, normalised)
"""

from __future__ import annotations

from aiohttp import web

from samad_ivr.storage.db import Pool
from samad_ivr.storage.topic_lexicon import LexiconError, TopicLexicon
from samad_ivr.storage.topics import TopicRepository
from samad_ivr.storage.transcription_jobs import TranscriptionJobs
from samad_ivr.storage.transcripts import queue_status, recent_jobs
from samad_ivr.web.admin.common import (
    AdminContext,
    admin_center,
    deps,
    form_fields,
    path_int,
    pool,
    redirect,
    render,
)
from samad_ivr.web.admin.sms_common import console_user, render_console
from samad_ivr.web.security import Role

ROLES = (Role.SUPERUSER, Role.PROVINCE_ADMIN)
STATE_NAMES = {
    "queued": "در صف",
    "working": "در حال نوشتن",
    "done": "نوشته شد",
    "failed": "ناموفق",
}
DONE = {
    "requeued": "این ضبط دوباره در صف نوشتن قرار گرفت.",
    "keyword_added": "کلیدواژه ذخیره شد.",
    "keyword_removed": "کلیدواژه حذف شد.",
}


def _model_line(request: web.Request) -> str:
    t = deps(request).settings.transcription
    if t.model_dir is None:
        return "خاموش: SAMAD_VOSK_MODEL تنظیم نشده است؛ ضبط‌ها در صف می‌مانند."
    return f"روشن: مدل {t.model_dir.name}، {t.workers} فرایند با اولویت پایین‌تر (nice {t.nice})"


async def status_page(request: web.Request) -> web.Response:
    c = await console_user(request, *ROLES)
    status = await queue_status(pool(request))
    jobs = await recent_jobs(pool(request), 100)
    return render_console(
        request, "admin/transcription.html", c, status=200, queue=status, jobs=jobs,
        states=STATE_NAMES, model=_model_line(request),
        enabled=deps(request).settings.transcription.enabled,
        notice=DONE.get(request.query.get("done", "")),
    )  # fmt: skip


async def requeue(request: web.Request) -> web.Response:
    await console_user(request, *ROLES)
    recording_id = path_int(request, "recording_id")
    await TranscriptionJobs(pool(request), "admin").requeue(recording_id)
    raise redirect("/admin/transcription", "requeued")


async def _lexicon_page(
    request: web.Request, ctx: AdminContext, errors: list[str], status: int = 200
) -> web.Response:
    db: Pool = pool(request)
    return render(
        request, "admin/topic_keywords.html", ctx, status=status,
        entries=await TopicLexicon(db).entries(ctx.center.id),
        topics=[t for t in await TopicRepository(db).list(ctx.center.id) if t.active],
        errors=errors, notice=DONE.get(request.query.get("done", "")),
    )  # fmt: skip


async def lexicon_page(request: web.Request) -> web.Response:
    return await _lexicon_page(request, await admin_center(request), [])


async def add_keyword(request: web.Request) -> web.Response:
    ctx = await admin_center(request)
    fields = await form_fields(request)
    phrase = " ".join(fields.get("phrase", "").split())
    weight_text = fields.get("weight", "1").strip()
    weight = int(weight_text) if weight_text.isdigit() and 1 <= int(weight_text) <= 10 else 0
    errors = []
    if not phrase or len(phrase) > 200:
        errors.append("کلیدواژه را (تا ۲۰۰ نویسه) وارد کنید.")
    if weight == 0:
        errors.append("وزن باید عددی از ۱ تا ۱۰ باشد.")
    if not errors:
        try:
            await TopicLexicon(pool(request)).add(
                ctx.center.id, fields.get("topic", ""), phrase, weight
            )
        except LexiconError:
            errors.append("این موضوع در این مرکز نیست یا کلیدواژه حرفی ندارد.")
    if errors:
        return await _lexicon_page(request, ctx, errors, status=400)
    raise redirect(ctx.url("/topic-keywords"), "keyword_added")


async def remove_keyword(request: web.Request) -> web.Response:
    ctx = await admin_center(request)
    fields = await form_fields(request)
    await TopicLexicon(pool(request)).remove(
        ctx.center.id, fields.get("topic", ""), fields.get("normalised", "")
    )
    raise redirect(ctx.url("/topic-keywords"), "keyword_removed")


def setup_transcription_routes(app: web.Application) -> None:
    app.router.add_get("/admin/transcription", status_page)
    app.router.add_post("/admin/transcription/{recording_id}/requeue", requeue)
    app.router.add_get("/admin/centers/{center_id}/topic-keywords", lexicon_page)
    app.router.add_post("/admin/centers/{center_id}/topic-keywords", add_keyword)
    app.router.add_post("/admin/centers/{center_id}/topic-keywords/remove", remove_keyword)
