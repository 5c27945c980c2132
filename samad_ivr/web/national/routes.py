"""The national office feature: `national_feature(gateway)` for `create_app`.

The composition root passes the listen gateway (AMI in production); without one,
listen-in answers 503 and everything else works.
"""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

from samad_ivr.audio.transcode import Transcoder
from samad_ivr.national.listen import ListenGateway
from samad_ivr.storage.dashboard import DashboardRepository
from samad_ivr.storage.listen_audit import ListenAuditRepository
from samad_ivr.storage.search import CallSearchRepository
from samad_ivr.web.app import DEPS, Feature
from samad_ivr.web.national.audit import setup_national_audit
from samad_ivr.web.national.calls import setup_national_calls
from samad_ivr.web.national.common import AUDIT, DASHBOARD, LISTEN_GATEWAY, SEARCH, TRANSCODER
from samad_ivr.web.national.dashboard import setup_national_dashboard
from samad_ivr.web.national.listen import setup_national_listen
from samad_ivr.web.national.listen_endpoint import setup_listen_endpoint
from samad_ivr.web.national.play import setup_national_play
from samad_ivr.web.national.transcripts import setup_national_transcripts


def national_feature(
    gateway: ListenGateway | None = None, cache_dir: Path | None = None
) -> Feature:
    def setup(app: web.Application) -> None:
        deps = app[DEPS]
        app[SEARCH] = CallSearchRepository(deps.pool)
        app[DASHBOARD] = DashboardRepository(deps.pool)
        app[AUDIT] = ListenAuditRepository(deps.pool)
        app[TRANSCODER] = Transcoder(deps.settings.recordings_dir, cache_dir)
        if gateway is not None:
            app[LISTEN_GATEWAY] = gateway
        setup_national_calls(app)
        setup_national_dashboard(app)
        setup_national_play(app)
        setup_national_audit(app)
        setup_national_listen(app)
        setup_listen_endpoint(app)
        setup_national_transcripts(app)

    return setup
