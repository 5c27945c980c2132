"""Route `status_resend`: key 2 after a found, answered request sends its answer again.

Arguments: the request id the lookup set (SAMAD_STATUS_REQUEST) and SAMAD_STATUS_MORE.
The repository checks that this very call found that request, so a forged id sends
nothing; the SMS goes to the number that registered the request, never to the caller,
once per day.  Sets SAMAD_STATUS_RESENT, its prompt SAMAD_STATUS_PROMPTS, and the
menu again without the resend key.
"""

from __future__ import annotations

import logging

from samad_ivr.agi import variables as v
from samad_ivr.agi.handlers.status_lookup import StatusChannel, StatusDeps, call_uniqueid
from samad_ivr.domain.status_line import menu_prompts
from samad_ivr.storage.db import StorageUnavailable
from samad_ivr.storage.status_lookups import Resend

log = logging.getLogger(__name__)

PROMPTS = {
    Resend.SENT: "status-resent",
    Resend.ALREADY_TODAY: "status-resent-already",
    Resend.UNAVAILABLE: "status-resend-failed",
}
_MAX_ID_DIGITS = 18


async def handle(channel: StatusChannel, deps: StatusDeps) -> None:
    args = channel.env.args
    request_text = args[0] if args else ""
    more = len(args) > 1 and args[1] == "1"
    uniqueid = call_uniqueid(channel.env)
    outcome = Resend.UNAVAILABLE
    plain_id = request_text.isascii() and request_text.isdigit()
    if uniqueid is not None and plain_id and len(request_text) <= _MAX_ID_DIGITS:
        try:
            outcome = await deps.lookups.resend_answer(
                call_uniqueid=uniqueid, request_id=int(request_text), now=deps.clock()
            )
        except StorageUnavailable as exc:
            log.warning("answer not sent again, database unavailable: %s", exc)
    log.info("answer resend for request %s: %s", request_text[:_MAX_ID_DIGITS], outcome)
    await channel.set_variables({
        v.STATUS_RESENT: outcome.value,
        v.STATUS_PROMPTS: PROMPTS[outcome],
        v.STATUS_RESEND: "0",
        v.STATUS_MENU: "&".join(menu_prompts(resend=False, another=more)),
    })  # fmt: skip
