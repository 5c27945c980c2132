"""The SMS part of `samad-ivr serve`: one call from the composition root.

sms = await start_sms(pool, SmsSettings.from_env(os.environ),
                      web_app_public_url="http://127.0.0.1:8080")
web_features.append(sms.web_feature)
...
await sms.close()
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime

import aiohttp
from aiohttp import web

from samad_ivr.domain.deadlines import DeadlinePolicy
from samad_ivr.domain.phone import normalise_caller_id
from samad_ivr.sms.config import SmsSettings
from samad_ivr.sms.delivery_store import DeliveryStore
from samad_ivr.sms.inbound import InboundRouter
from samad_ivr.sms.kannel import KannelProvider
from samad_ivr.sms.kavenegar import KavenegarProvider
from samad_ivr.sms.log_provider import LogProvider
from samad_ivr.sms.notifications import AdminNotifications
from samad_ivr.sms.poller import DeliveryPoller
from samad_ivr.sms.provider import SmsProvider
from samad_ivr.sms.worker import OutboxWorker
from samad_ivr.storage.db import Pool
from samad_ivr.storage.lifecycle import RequestLifecycle
from samad_ivr.storage.satisfaction_verdicts import Verdicts
from samad_ivr.storage.sms import OutboxStore
from samad_ivr.web.sms_callbacks import SmsCallbacks

log = logging.getLogger(__name__)

CLOSE_TIMEOUT = 10.0


def utc_now() -> datetime:
    return datetime.now(UTC)


def is_mobile(e164: str) -> bool:
    """Only Iranian mobiles receive SMS (caller ID of landlines is not a phone)."""
    return normalise_caller_id(e164).is_mobile


def worker_id() -> str:
    """Names the lease holder in `sms_outbox.claimed_by` (host, pid, random)."""
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{os.urandom(3).hex()}"


class SmsRuntime:
    """The running worker (and status poller) plus the callback routes."""

    def __init__(self, callbacks: SmsCallbacks | None) -> None:
        self._callbacks = callbacks
        self._tasks: list[asyncio.Task[None]] = []
        self._stack = contextlib.AsyncExitStack()

    def web_feature(self, app: web.Application) -> None:
        """A `samad_ivr.web.app.Feature`: Kannel's DLR and MO routes (if a token is set)."""
        if self._callbacks is not None:
            self._callbacks.setup(app)

    def _spawn(self, name: str, coro: Coroutine[object, object, None]) -> None:
        task = asyncio.create_task(coro, name=name)
        task.add_done_callback(_log_crash)
        self._tasks.append(task)

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.wait_for(
            asyncio.gather(*self._tasks, return_exceptions=True), timeout=CLOSE_TIMEOUT
        )
        await self._stack.aclose()


def _log_crash(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("%s stopped", task.get_name(), exc_info=task.exception())


async def start_sms(
    pool: Pool,
    settings: SmsSettings,
    *,
    web_app_public_url: str,
    clock: Callable[[], datetime] = utc_now,
    verdicts: Verdicts | None = None,
) -> SmsRuntime:
    """Start the outbox worker (and Kavenegar's status poller); no database wait here:
    the worker pauses while PostgreSQL is down.  `verdicts` applies satisfaction replies
    (the service passes its own; replies never assign, so the deadline policy is moot)."""
    s = settings
    store = OutboxStore(pool)
    deliveries = DeliveryStore(pool)
    callbacks = None
    if s.callback_token is not None:
        inbound = InboundRouter(
            pool,
            optout_words=s.optout_words,
            verdicts=verdicts or Verdicts(pool, RequestLifecycle(pool, DeadlinePolicy())),
            clock=clock,
        )
        callbacks = SmsCallbacks(
            token=s.callback_token.value, outbox=deliveries, inbound=inbound, clock=clock
        )
    runtime = SmsRuntime(callbacks)
    provider: SmsProvider
    poller: KavenegarProvider | None = None
    if s.provider == "log":
        provider = LogProvider()
    else:
        session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=s.send_timeout_seconds))
        runtime._stack.push_async_callback(session.close)
        if s.provider == "kannel":
            assert s.callback_token is not None  # SmsSettings.from_env requires it
            provider = KannelProvider(
                session,
                s.kannel,
                sender=s.sender,
                public_base_url=web_app_public_url,
                callback_token=s.callback_token.value,
                timeout=s.send_timeout_seconds,
            )
        else:
            provider = poller = KavenegarProvider(
                session, s.kavenegar, sender=s.sender, timeout=s.send_timeout_seconds
            )
    worker = OutboxWorker(
        store=store,
        notifications=AdminNotifications(pool),
        provider=provider,
        settings=s,
        clock=clock,
        worker_id=worker_id(),
        is_mobile=is_mobile,
        polls_status=poller is not None,
    )
    runtime._spawn("sms-outbox-worker", worker.run())
    if poller is not None:
        delivery = DeliveryPoller(
            store=deliveries, poller=poller, provider=provider.name, settings=s, clock=clock
        )
        runtime._spawn("sms-status-poller", delivery.run())
    log.info("sms: provider %s, daily cap %s per number", provider.name, s.daily_cap)
    return runtime
