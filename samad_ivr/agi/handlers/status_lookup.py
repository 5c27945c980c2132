"""Route `status_lookup`: one tracking code typed after "press 1" during the greeting.

The dialplan (context samad-status) plays the prompts and reads the digits; this route
gets what was typed as its first argument, stores the attempt, applies the limits and
sets what the caller hears next: SAMAD_STATUS_RESULT (an Outcome, or `unavailable`),
SAMAD_STATUS_PROMPTS, the closing menu SAMAD_STATUS_MENU, SAMAD_STATUS_MORE (another
code may be typed), SAMAD_STATUS_RESEND and SAMAD_STATUS_REQUEST (key 2 sends the
answer again).  Nothing here waits on the caller, and the database is only touched
between two AGI commands, never across one.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from samad_ivr.agi import variables as v
from samad_ivr.agi.protocol import AgiEnvironment
from samad_ivr.domain.status_line import (
    Outcome,
    caller_bucket,
    clean_typed,
    menu_prompts,
    outcome_prompts,
)
from samad_ivr.storage.db import StorageUnavailable
from samad_ivr.storage.status_lookups import LookupResult, Resend

log = logging.getLogger(__name__)

UNAVAILABLE = "unavailable"
UNAVAILABLE_PROMPTS = "status-unavailable"
# Asterisk's uniqueid, with or without a systemname prefix (as calls.report accepts it
# and the CHECK in 0017); anything else is not stored.
_UNIQUEID = re.compile(r"[A-Za-z0-9._-]{1,64}")


class StatusChannel(Protocol):
    """The part of AgiChannel the status routes use (a fake in tests)."""

    @property
    def env(self) -> AgiEnvironment: ...

    async def set_variables(self, values: Mapping[str, str]) -> None: ...


class StatusLookups(Protocol):
    """storage.status_lookups.StatusLookupRepository."""

    async def look_up(
        self, *, call_uniqueid: str, caller_bucket: str, typed: str, now: datetime
    ) -> LookupResult: ...

    async def resend_answer(
        self, *, call_uniqueid: str, request_id: int, now: datetime
    ) -> Resend: ...


@dataclass(frozen=True, slots=True)
class StatusDeps:
    lookups: StatusLookups
    clock: Callable[[], datetime]


def call_uniqueid(env: AgiEnvironment) -> str | None:
    return env.uniqueid if _UNIQUEID.fullmatch(env.uniqueid) else None


async def handle(channel: StatusChannel, deps: StatusDeps) -> None:
    env = channel.env
    typed = clean_typed(env.args[0] if env.args else "")
    uniqueid = call_uniqueid(env)
    if uniqueid is None:
        log.error("status lookup refused: malformed uniqueid %r", env.uniqueid[:40])
        await channel.set_variables(unavailable())
        return
    try:
        result = await deps.lookups.look_up(
            call_uniqueid=uniqueid, caller_bucket=caller_bucket(env.callerid), typed=typed,
            now=deps.clock(),
        )  # fmt: skip
    except StorageUnavailable as exc:
        log.warning("status lookup not possible, database unavailable: %s", exc)
        await channel.set_variables(unavailable())
        return
    log.info("status lookup: %s, %s attempt(s) left", result.outcome, result.attempts_left)
    await channel.set_variables(lookup_variables(result))


def unavailable() -> dict[str, str]:
    return {
        v.STATUS_RESULT: UNAVAILABLE, v.STATUS_PROMPTS: UNAVAILABLE_PROMPTS,
        v.STATUS_MORE: "0", v.STATUS_RESEND: "0", v.STATUS_REQUEST: "",
    }  # fmt: skip


def lookup_variables(result: LookupResult) -> dict[str, str]:
    outcome = result.outcome
    more = result.attempts_left > 0 and outcome not in (
        Outcome.LIMIT_CALLER,
        Outcome.LIMIT_CENTER,
    )
    prompts = outcome_prompts(outcome, result.found)
    if outcome in (Outcome.INVALID, Outcome.NOT_FOUND) and result.attempts_left == 0:
        prompts.append("status-limit-call")
    found = result.found
    resend = found is not None and found.answer_by_sms
    return {
        v.STATUS_RESULT: outcome.value,
        v.STATUS_PROMPTS: "&".join(prompts),
        v.STATUS_MENU: "&".join(menu_prompts(resend=resend, another=more)),
        v.STATUS_MORE: "1" if more else "0",
        v.STATUS_RESEND: "1" if resend else "0",
        v.STATUS_REQUEST: str(found.request_id) if found is not None and resend else "",
    }
