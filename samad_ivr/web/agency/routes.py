"""The agency portal feature for `create_app`: pages, answers, attachments, API."""

from __future__ import annotations

import logging

from aiohttp import web

from samad_ivr.sms.templates import TemplateRepository
from samad_ivr.storage.agency_portal import AgencyPortalRepository
from samad_ivr.storage.answers import AnswerWriter
from samad_ivr.storage.attachments import AttachmentStore
from samad_ivr.storage.casefile import CaseFileRepository
from samad_ivr.storage.lifecycle import RequestLifecycle
from samad_ivr.web.agency.answer import setup_agency_answers
from samad_ivr.web.agency.api import setup_agency_api
from samad_ivr.web.agency.common import ANSWERS, ATTACHMENTS, CASEFILES, PORTAL
from samad_ivr.web.agency.views import setup_agency_views
from samad_ivr.web.app import DEPS
from samad_ivr.web.attachments import setup_attachments

log = logging.getLogger(__name__)

# An upload is a few seconds; a staging file a day old was left by a stopped process.
STALE_UPLOAD_SECONDS = 24 * 3600


def setup_agency(app: web.Application) -> None:
    """The agency portal and `/attachments/{id}`; needs `setup_security` before it."""
    deps = app[DEPS]
    lifecycle_settings = deps.settings.lifecycle
    store = AttachmentStore(lifecycle_settings.attachments_dir)
    lifecycle = RequestLifecycle(deps.pool, lifecycle_settings.deadline)
    app[PORTAL] = AgencyPortalRepository(deps.pool)
    app[CASEFILES] = CaseFileRepository(deps.pool)
    app[ATTACHMENTS] = store
    app[ANSWERS] = AnswerWriter(deps.pool, lifecycle, store, TemplateRepository(deps.pool))
    setup_agency_views(app)
    setup_agency_answers(app)
    setup_agency_api(app)
    setup_attachments(app, store)

    async def sweep(_app: web.Application) -> None:
        removed = await store.sweep_incoming(STALE_UPLOAD_SECONDS)
        if removed:
            log.warning("attachments: removed %d unfinished uploads", removed)

    app.on_startup.append(sweep)
