"""Pending callbacks onto the live queue board: the database polled every few seconds.

Callbacks live in PostgreSQL, not in Asterisk, so the AMI stream never mentions them.
`CallbackFeed` reads every open callback with its center's queue (one indexed query)
and hands the hub a new mapping only when it changed, so browsers hear of a callback
stored, ringing, retried, reached or converted within one round.
"""

from __future__ import annotations

import asyncio
import logging

from samad_ivr.domain.phone import display_phone
from samad_ivr.live.hub import LiveHub
from samad_ivr.live.views import PendingCallback
from samad_ivr.storage.db import Pool, StorageUnavailable, connection

__all__ = ["OPEN_CALLBACKS_SQL", "CallbackFeed"]

log = logging.getLogger(__name__)

OPEN_CALLBACKS_SQL = """
SELECT c.queue_name, b.caller_e164, b.queued_at, b.attempts, b.status, b.next_attempt_at
  FROM callbacks b JOIN centers c ON c.id = b.center_id
 WHERE b.status IN ('pending', 'placing')
 ORDER BY b.queued_at, b.id
"""


class CallbackFeed:
    def __init__(self, pool: Pool, hub: LiveHub, every: float = 3.0) -> None:
        self._pool = pool
        self._hub = hub
        self._every = every

    async def refresh(self) -> None:
        async with connection(self._pool) as conn:
            rows = await conn.fetch(OPEN_CALLBACKS_SQL)
        by_queue: dict[str, list[PendingCallback]] = {}
        for r in rows:
            pending = PendingCallback(
                number=display_phone(r["caller_e164"]), queued_at=r["queued_at"],
                attempts=r["attempts"], ringing=r["status"] == "placing",
                next_attempt_at=r["next_attempt_at"],
            )  # fmt: skip
            by_queue.setdefault(r["queue_name"], []).append(pending)
        self._hub.callbacks_changed({q: tuple(cbs) for q, cbs in by_queue.items()})

    async def run(self) -> None:
        while True:
            try:
                await asyncio.wait_for(self.refresh(), timeout=self._every * 3)
            except (StorageUnavailable, TimeoutError) as exc:
                log.warning("queue board: callbacks not refreshed (%s)", exc)
            await asyncio.sleep(self._every)
