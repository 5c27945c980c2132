"""Delivery state for providers without callbacks (Kavenegar): poll, backing off from
minutes to hours, and give up after `poll_give_up_seconds` (~48 h)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from samad_ivr.sms.config import SmsSettings
from samad_ivr.sms.delivery_store import DeliveryStore
from samad_ivr.sms.policy import next_poll_delay
from samad_ivr.sms.provider import ProviderUnavailable, StatusPoller
from samad_ivr.storage.db import StorageUnavailable
from samad_ivr.storage.sms import FINAL_STATUSES

log = logging.getLogger(__name__)

POLL_BATCH = 100  # Kavenegar's status call takes a comma-separated id list


class DeliveryPoller:
    def __init__(
        self,
        *,
        store: DeliveryStore,
        poller: StatusPoller,
        provider: str,
        settings: SmsSettings,
        clock: Callable[[], datetime],
    ) -> None:
        self._store = store
        self._poller = poller
        self._provider = provider
        self._s = settings
        self._clock = clock

    async def run_once(self) -> int:
        s = self._s
        now = self._clock()
        targets = await self._store.claim_polls(
            self._provider, now, now + timedelta(seconds=s.lease_seconds), POLL_BATCH
        )
        if not targets:
            return 0
        try:
            reports = await self._poller.poll([t.provider_message_id for t in targets])
        except ProviderUnavailable as exc:
            # The claim holds them for a lease; they come back after it.
            log.warning("status poll of %s messages failed: %s", len(targets), exc)
            return len(targets)
        by_id = {r.provider_message_id: r for r in reports}
        now = self._clock()
        for target in targets:
            report = by_id.get(target.provider_message_id)
            status = None
            if report is not None:
                outcome = await self._store.apply_report(
                    provider=self._provider,
                    outbox_id=target.id,
                    provider_message_id=report.provider_message_id,
                    source="poll",
                    raw_code=report.raw_code,
                    raw=report.raw,
                    status=report.status,
                    now=now,
                )
                status = outcome.status if outcome else None
            if status in FINAL_STATUSES:
                continue
            if now - target.submitted_at >= timedelta(seconds=s.poll_give_up_seconds):
                await self._store.expire_unreported(target.id, now)
                log.warning("sms %s: no final delivery report; marked expired", target.id)
                continue
            delay = next_poll_delay(target.polls, s.poll_first_seconds, s.poll_max_seconds)
            await self._store.schedule_poll(target.id, now + timedelta(seconds=delay))
        return len(targets)

    async def run(self) -> None:
        while True:
            try:
                busy = await self.run_once()
            except StorageUnavailable as exc:
                log.warning("sms status poller paused: %s", exc)
                busy = 0
            if not busy:
                await asyncio.sleep(max(self._s.idle_seconds, 10.0))
