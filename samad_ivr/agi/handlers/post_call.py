"""Route `post_call`: the hangup handler's report of a finished call.

Stores the call and its outcome, registers the request if the caller hung up before the
register route could, and hands the call recording to the finaliser (MixMonitor closes
the file only after this handler has run).  With the database down the whole report is
spooled and replayed later: the call is never lost.
"""

from __future__ import annotations

import logging

from samad_ivr.agi.handlers.common import Channel, RouteDeps, read_report
from samad_ivr.storage.db import StorageUnavailable

log = logging.getLogger(__name__)


async def handle(channel: Channel, deps: RouteDeps) -> None:
    report = await read_report(channel)
    try:
        result = await deps.intake.take(report, final=True)
    except StorageUnavailable as exc:
        path = await deps.spool.write(report)
        log.warning("database unavailable (%s); call spooled to %s", exc, path.name)
        return
    if report.recording is not None:
        await deps.finaliser.submit(result.call_id, report.recording)
