"""The inspector console feature: `inspector_feature()` for `create_app`."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from aiohttp import web

from samad_ivr.storage.casefile import CaseFileRepository
from samad_ivr.storage.inspection import InspectionRepository
from samad_ivr.storage.lifecycle import RequestLifecycle
from samad_ivr.web.app import DEPS, Feature
from samad_ivr.web.inspector.api import setup_api
from samad_ivr.web.inspector.case import setup_case
from samad_ivr.web.inspector.common import CASEFILES, CLOCK, INSPECTION, LIFECYCLE
from samad_ivr.web.inspector.queues import setup_queues


def inspector_feature(clock: Callable[[], datetime] | None = None) -> Feature:
    """Queues, request pages and their API; `clock` fixes "now" for tests."""

    def setup(app: web.Application) -> None:
        deps = app[DEPS]
        app[INSPECTION] = InspectionRepository(deps.pool)
        app[LIFECYCLE] = RequestLifecycle(deps.pool, deps.settings.lifecycle.deadline)
        app[CASEFILES] = CaseFileRepository(deps.pool)
        if clock is not None:
            app[CLOCK] = clock
        setup_queues(app)
        setup_case(app)
        setup_api(app)

    return setup
