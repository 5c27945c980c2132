"""What the agency portal's views share: who may use it, its services, rendering.

The portal is for `agency_staff` only, each scoped to their own agency; an account
without an agency gets 403.  A request of another agency is 404, like one that does not
exist, so that nobody learns which ids exist.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp_jinja2
from aiohttp import web

from samad_ivr.admin.jalali import fa_digits, jalali_text
from samad_ivr.storage.agency_portal import AgencyInfo, AgencyPortalRepository
from samad_ivr.storage.answers import AnswerWriter
from samad_ivr.storage.attachments import AttachmentStore
from samad_ivr.storage.casefile import CaseFileRepository
from samad_ivr.web.casefile import days_left_text, local_text, status_fa
from samad_ivr.web.paths import path_int
from samad_ivr.web.security import Role, User, http_error, require_user

PORTAL = web.AppKey("agency_portal", AgencyPortalRepository)
CASEFILES = web.AppKey("agency_casefiles", CaseFileRepository)
ANSWERS = web.AppKey("agency_answers", AnswerWriter)
ATTACHMENTS = web.AppKey("agency_attachment_store", AttachmentStore)

NO_AGENCY = "حساب شما به هیچ دستگاهی وصل نیست؛ با مدیر سامانهٔ استان تماس بگیرید."
NOT_FOUND = "درخواستی با این مشخصات برای دستگاه شما پیدا نشد."


@dataclass(frozen=True, slots=True)
class AgencyUser:
    user: User
    agency: AgencyInfo

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.agency.timezone)


def now() -> datetime:
    return datetime.now(UTC)


async def agency_user(request: web.Request) -> AgencyUser:
    """The logged-in agency staff member and their agency (401/403 otherwise)."""
    user = require_user(request, Role.AGENCY_STAFF)
    if user.agency_id is None:
        raise http_error(request, 403, "no_agency", NO_AGENCY)
    agency = await request.config_dict[PORTAL].agency(user.agency_id)
    if agency is None:
        raise http_error(request, 403, "no_agency", NO_AGENCY)
    return AgencyUser(user, agency)


def not_found(request: web.Request) -> web.HTTPException:
    return http_error(request, 404, "not_found", NOT_FOUND)


def path_id(request: web.Request, name: str) -> int:
    return path_int(request, name, not_found)


def render(
    request: web.Request, template: str, who: AgencyUser, *, status: int = 200, **values: Any
) -> web.Response:
    tz = who.tz
    context: dict[str, Any] = {
        "user": who.user,
        "agency": who.agency,
        "fa": fa_digits,
        "jalali": jalali_text,
        "when": lambda instant: local_text(instant, tz),
        "status_fa": status_fa,
        "days_left_text": days_left_text,
        "errors": [],
        "notice": None,
        **values,
    }
    response = aiohttp_jinja2.render_template(template, request, context, status=status)
    response.headers["Cache-Control"] = "private, no-store"
    return response
