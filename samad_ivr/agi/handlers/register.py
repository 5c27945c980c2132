"""Route `register`: the caller is still on the line after a conversation or a message.

Registers the request and hands the dialplan the tracking code's digit prompts to read
back.  When the database is down the registration is deferred to the post-call report
(which is spooled), and the caller is told the code will come by SMS.
"""

from __future__ import annotations

import logging

from samad_ivr.agi import variables as v
from samad_ivr.agi.handlers.common import Channel, RouteDeps, read_report
from samad_ivr.domain.spoken import digit_prompts
from samad_ivr.storage.db import StorageUnavailable

log = logging.getLogger(__name__)


async def handle(channel: Channel, deps: RouteDeps) -> None:
    report = await read_report(channel)
    try:
        result = await deps.intake.take(report, final=False)
    except StorageUnavailable as exc:
        log.warning("registration deferred to the spool: %s", exc)
        await channel.set_variable(v.REGISTER_DEFERRED, "1")
        return
    if result.request is None:
        log.info("nothing to register (%s)", result.outcome.disposition)
        return
    code = result.request.tracking_code
    await channel.set_variable(v.TRACKING_CODE, code)
    await channel.set_variable(v.CODE_PROMPTS, "&".join(digit_prompts(code)))
