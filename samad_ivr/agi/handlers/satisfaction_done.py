"""Route `satisfaction_done`: the hangup handler of an answered satisfaction callback.

Stores the callback as a call like any other (a calls row with its times and the
recording MixMonitor made, finalised and hashed by the same finaliser) and links it to
its attempt row, so the case file can play it.
"""

from __future__ import annotations

import logging

from samad_ivr.agi.handlers.common import Channel, read_report
from samad_ivr.agi.handlers.satisfaction import SatisfactionDeps
from samad_ivr.domain.phone import normalise_caller_id
from samad_ivr.storage import satisfaction_calls as sc
from samad_ivr.storage.calls import CallUpsert
from samad_ivr.storage.db import StorageUnavailable, connection

__all__ = ["handle"]

log = logging.getLogger(__name__)


async def handle(channel: Channel, deps: SatisfactionDeps) -> None:
    report = await read_report(channel)
    now = deps.clock()
    try:
        async with connection(deps.pool) as conn:
            attempt = await sc.attempt_by_uniqueid(conn, report.uniqueid)
        if attempt is None:
            log.warning("callback %s has no attempt row; not stored", report.uniqueid)
            return
        citizen = normalise_caller_id(attempt.destination)
        call_id = await deps.calls.upsert_call(
            CallUpsert(
                uniqueid=report.uniqueid,
                linkedid=report.linkedid,
                center_id=attempt.center_id,
                caller_raw=attempt.destination,
                caller_e164=citizen.e164,
                started_at=report.started_at or attempt.started_at,
                answered_at=report.answered_at,
                ended_at=report.ended_at or now,
                disposition="answered",
                route="satisfaction",
            )
        )
        async with connection(deps.pool) as conn:
            await sc.set_call(conn, report.uniqueid, call_id, report.ended_at or now)
        if report.recording is not None:
            await deps.finaliser.submit(call_id, report.recording)
    except StorageUnavailable as exc:
        log.warning("callback %s not stored: %s", report.uniqueid, exc)
