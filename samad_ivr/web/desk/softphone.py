"""The desk's browser softphone: its SIP credentials and the SIP library it runs.

- `GET /desk/softphone` (official): JSON the page's softphone registers with — the
  WebSocket address, the desk's SIP URI, user name, realm and digest (``ha1``: the
  desk's random credential as Asterisk stores it, see storage.desk_credentials), ICE
  servers.  Never cached.  A desk that is not a browser
  desk (a hardware phone) gets ``{"enabled": false}`` and the page shows no softphone.
- `/vendor/sip.js/…`: SIP.js's ES modules, installed by scripts/bootstrap.sh (npm).
"""

from __future__ import annotations

import logging
from pathlib import Path

from aiohttp import web

from samad_ivr.softphone.desks import browser_desk
from samad_ivr.softphone.settings import SoftphoneSettings
from samad_ivr.storage.desk import Desk
from samad_ivr.storage.desk_credentials import DeskCredentialRepository

log = logging.getLogger(__name__)

SOFTPHONE_SETTINGS = web.AppKey("softphone_settings", SoftphoneSettings)
SIPJS_DIR = Path(__file__).parent.parent / "vendor" / "node_modules" / "sip.js" / "lib"
SIPJS_PREFIX = "/vendor/sip.js"


def browser_desk_name(app: web.Application, desk: Desk | None) -> str | None:
    """The desk's PJSIP endpoint name when it is a browser softphone the app can serve."""
    settings = app.get(SOFTPHONE_SETTINGS)
    if settings is None or not settings.enabled or desk is None:
        return None
    return browser_desk(desk.endpoint, settings.prefix)


async def softphone_config(
    request: web.Request,
    desk: Desk | None,
    display_name: str,
    credentials: DeskCredentialRepository,
) -> web.Response:
    settings = request.config_dict.get(SOFTPHONE_SETTINGS)
    name = browser_desk_name(request.app, desk)
    credential = await credentials.get(name) if name is not None else None
    if settings is None or name is None or credential is None:
        body: dict[str, object] = {"enabled": False}
    else:
        body = {
            "enabled": True,
            "ws_url": settings.ws_url,
            "uri": f"sip:{name}@{settings.sip_domain}",
            "username": name,
            "realm": credential.realm,
            "ha1": credential.ha1,
            "display_name": display_name,
            "ice_servers": list(settings.ice_servers),
        }
    return web.json_response(body, headers={"Cache-Control": "no-store"})


def setup_softphone(app: web.Application, settings: SoftphoneSettings | None) -> None:
    if settings is None or not settings.enabled:
        return
    app[SOFTPHONE_SETTINGS] = settings
    if not SIPJS_DIR.is_dir():
        # The desk page then says the softphone is unavailable; SIP desk phones still work.
        log.error("softphone: %s is missing; run scripts/bootstrap.sh", SIPJS_DIR)
        return
    app.router.add_static(SIPJS_PREFIX, SIPJS_DIR, append_version=False)
