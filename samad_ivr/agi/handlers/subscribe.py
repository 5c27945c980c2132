"""Route `subscribe`: the caller asks to hear about upcoming duty sessions by SMS.

Uses the caller's own number from the channel (never digits typed in), so the sign-up
is confirmed at once.  Sets SAMAD_SUBSCRIBED to 1 when the caller is subscribed and to
0 otherwise (not a mobile, no such center, database down) so the dialplan can play the
matching prompt; the handler itself plays nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from samad_ivr.agi.protocol import AgiEnvironment
from samad_ivr.agi.variables import SUBSCRIBED
from samad_ivr.domain.phone import normalise_caller_id
from samad_ivr.storage.db import StorageUnavailable

log = logging.getLogger(__name__)


class SubscribeChannel(Protocol):
    """The part of AgiChannel this route uses (a fake in tests)."""

    @property
    def env(self) -> AgiEnvironment: ...

    async def set_variable(self, name: str, value: str) -> None: ...


class Subscriptions(Protocol):
    async def subscribe_confirmed(
        self, center_code: str, destination: str, now: datetime
    ) -> bool: ...


@dataclass(frozen=True, slots=True)
class SubscribeDeps:
    subscriptions: Subscriptions  # storage.notices.NoticeRepository
    center_code: str  # the center this node serves (Settings.center_code)
    clock: Callable[[], datetime]


async def handle(channel: SubscribeChannel, deps: SubscribeDeps) -> None:
    caller = normalise_caller_id(channel.env.callerid)
    if caller.e164 is None or not caller.is_mobile:
        log.info("subscription refused: %s is not a mobile", caller.masked)
        await channel.set_variable(SUBSCRIBED, "0")
        return
    try:
        done = await deps.subscriptions.subscribe_confirmed(
            deps.center_code, caller.e164, deps.clock()
        )
    except StorageUnavailable as exc:
        log.warning("subscription of %s not stored: %s", caller.masked, exc)
        done = False
    else:
        if done:
            log.info("%s subscribed to duty notices", caller.masked)
        else:
            log.error("no center %r: subscription of %s dropped", deps.center_code, caller.masked)
    await channel.set_variable(SUBSCRIBED, "1" if done else "0")
