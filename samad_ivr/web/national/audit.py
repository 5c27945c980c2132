"""/national/audit: who played, downloaded or listened in to which call, and when.

National roles see every row; a province admin only rows of calls in their province.
"""

from __future__ import annotations

from aiohttp import web

from samad_ivr.storage.accounts import Role
from samad_ivr.web.national.common import AUDIT, national_user, render

ACTION_NAMES = {"play": "پخش", "download": "دریافت", "listen_live": "شنود زنده"}
PAGE_SIZE = 100


async def audit_page(request: web.Request) -> web.Response:
    user = national_user(request)
    before_text = request.query.get("before", "")
    before = int(before_text) if before_text.isascii() and before_text.isdigit() else None
    center_id = None if user.is_national else user.center_id
    if not user.is_national and (user.role is not Role.PROVINCE_ADMIN or center_id is None):
        entries = []
    else:
        entries = await request.config_dict[AUDIT].entries(
            center_id=center_id, before_id=before, limit=PAGE_SIZE
        )
    older = f"/national/audit?before={entries[-1].id}" if len(entries) == PAGE_SIZE else None
    return render(
        request, "national/audit.html", user, entries=entries, actions=ACTION_NAMES, older=older
    )


def setup_national_audit(app: web.Application) -> None:
    app.router.add_get("/national/audit", audit_page)
