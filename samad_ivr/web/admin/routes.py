"""The admin console as one web feature: `create_app(deps, [..., setup_admin])`.

Needs `setup_security` (sessions, CSRF, `csrf_token()`) and `setup_openapi` (the slot
API is registered with `api_route`) to be installed before it.
"""

from __future__ import annotations

from aiohttp import web

from samad_ivr.web.admin.agencies import setup_agency_routes
from samad_ivr.web.admin.agency_staff import setup_agency_staff_routes
from samad_ivr.web.admin.api import setup_slot_api
from samad_ivr.web.admin.center import setup_center_routes
from samad_ivr.web.admin.new_center import setup_new_center_routes
from samad_ivr.web.admin.officials import setup_official_routes
from samad_ivr.web.admin.requests import setup_request_routes
from samad_ivr.web.admin.requests_api import setup_request_api
from samad_ivr.web.admin.roster import setup_roster_routes
from samad_ivr.web.admin.tools import setup_tool_routes
from samad_ivr.web.admin.topics import setup_topic_routes
from samad_ivr.web.admin.transcription import setup_transcription_routes


def setup_admin(app: web.Application) -> None:
    setup_tool_routes(app)
    setup_roster_routes(app)
    setup_agency_routes(app)
    setup_agency_staff_routes(app)
    setup_topic_routes(app)
    setup_transcription_routes(app)
    setup_request_routes(app)
    setup_official_routes(app)
    setup_center_routes(app)
    setup_new_center_routes(app)
    setup_slot_api(app)
    setup_request_api(app)
