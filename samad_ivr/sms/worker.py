"""The outbox worker: claim due messages, send them, record what happened.

Exactly-once in the normal path comes from the storage lease (see
`samad_ivr.storage.sms`); our outbox id travels to the provider so that a retry after
a lost answer is recognised by providers that accept an idempotency key.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from samad_ivr.sms.config import SmsSettings
from samad_ivr.sms.notifications import AdminNotifications
from samad_ivr.sms.policy import cap_window_start, retry_delay
from samad_ivr.sms.provider import OutgoingSms, SendResult, SmsProvider, mask_number
from samad_ivr.storage.db import StorageUnavailable
from samad_ivr.storage.sms import Attempt, BlockedSms, CapPolicy, ClaimedSms, OutboxStore

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]


class OutboxWorker:
    def __init__(
        self,
        *,
        store: OutboxStore,
        notifications: AdminNotifications,
        provider: SmsProvider,
        settings: SmsSettings,
        clock: Clock,
        worker_id: str,
        is_mobile: Callable[[str], bool],
        polls_status: bool = False,
    ) -> None:
        self._store = store
        self._notes = notifications
        self._provider = provider
        self._s = settings
        self._clock = clock
        self._id = worker_id
        self._is_mobile = is_mobile
        self._polls_status = polls_status

    async def run_once(self) -> int:
        """One pass: give up on stale rows, claim a batch, send it. Returns the number
        of messages sent or blocked (0 means there was nothing to do)."""
        s = self._s
        now = self._clock()
        for stale in await self._store.expire_stale(
            now, now - timedelta(seconds=s.give_up_seconds)
        ):
            await self._notes.notify(
                "sms_failed",
                f"SMS {stale.id} to {mask_number(stale.destination)} failed",
                f"gave up after {stale.attempts} attempt(s); last error: {stale.last_error}",
                dedup_key=f"sms_failed:{stale.id}",
            )
        claimed, blocked = await self._store.claim(
            worker=self._id,
            provider=self._provider.name,
            now=now,
            lease_until=now + timedelta(seconds=s.lease_seconds),
            limit=s.batch_size,
            cap=CapPolicy(s.daily_cap, cap_window_start(now), s.nonessential_daily_max),
            is_mobile=self._is_mobile,
        )
        for item in blocked:
            await self._blocked(item, now)
        # Concurrent sends keep a batch within one provider timeout, well inside the lease.
        await asyncio.gather(*(self._send(sms) for sms in claimed))
        return len(claimed) + len(blocked)

    async def _blocked(self, item: BlockedSms, now: datetime) -> None:
        masked = mask_number(item.destination)
        log.warning("sms %s to %s blocked: %s", item.id, masked, item.reason)
        if item.reason == "daily_cap":
            await self._notes.notify(
                "sms_daily_cap",
                f"SMS to {masked} blocked: more than {self._s.daily_cap} in a day",
                "Caller ID can be spoofed; check the calls of this number.",
                dedup_key=f"sms_daily_cap:{item.destination}:{now.date().isoformat()}",
            )
        elif item.reason == "daily_ceiling":
            await self._notes.notify(
                "sms_daily_ceiling",
                f"Notices and sign-up codes stopped: {self._s.nonessential_daily_max} in a day",
                "Citizens' tracking codes and answers are still sent. A surge of sign-ups "
                "may be an attack; raise SAMAD_SMS_NONESSENTIAL_DAILY_MAX if it is not.",
                dedup_key=f"sms_daily_ceiling:{now.date().isoformat()}",
            )

    async def _send(self, sms: ClaimedSms) -> None:
        started = self._clock()
        try:
            result = await self._provider.send(OutgoingSms(sms.id, sms.destination, sms.body))
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a provider bug must not stop the worker
            log.exception("provider %s crashed on sms %s", self._provider.name, sms.id)
            result = SendResult("transient", f"provider error: {type(exc).__name__}")
        finished = self._clock()
        attempt = Attempt(
            provider=self._provider.name,
            worker=self._id,
            started_at=started,
            finished_at=finished,
            outcome=result.outcome,
            detail=result.detail,
            provider_message_id=result.provider_message_id,
            http_status=result.http_status,
            raw_response=result.raw_response,
        )
        if result.outcome == "accepted":
            poll_at = (
                finished + timedelta(seconds=self._s.poll_first_seconds)
                if self._polls_status
                else None
            )
            kept = await self._store.mark_submitted(
                sms, attempt, provider_status=result.provider_status, next_poll_at=poll_at
            )
        elif result.outcome == "permanent":
            kept = await self._store.mark_failed(sms, attempt, "rejected")
            await self._notes.notify(
                "sms_failed",
                f"SMS {sms.id} to {mask_number(sms.destination)} was rejected",
                f"{self._provider.name}: {result.detail}",
                dedup_key=f"sms_failed:{sms.id}",
            )
        else:
            delay = retry_delay(sms.attempt, self._s.retry_base_seconds, self._s.retry_max_seconds)
            kept = await self._store.mark_retry(sms, attempt, finished + timedelta(seconds=delay))
            log.info(
                "sms %s attempt %s failed (%s); retry in %.0f s",
                sms.id,
                sms.attempt,
                result.detail,
                delay,
            )
        if result.alert:
            await self._notes.notify(
                "sms_provider",
                result.alert,
                f"{self._provider.name} answered: {result.detail}",
                dedup_key=f"sms_provider:{self._provider.name}:{result.detail}:{finished.date()}",
            )
        if not kept:
            log.warning("sms %s: lease lost before the result was stored", sms.id)

    async def run(self) -> None:
        """Loop until cancelled; a database outage only pauses it."""
        while True:
            try:
                busy = await self.run_once()
            except StorageUnavailable as exc:
                log.warning("sms worker paused: %s", exc)
                busy = 0
            except Exception:  # a dead worker would keep every SMS queued until a restart
                log.exception("sms worker: pass failed; trying again")
                busy = 0
            if not busy:
                await asyncio.sleep(self._s.idle_seconds)
