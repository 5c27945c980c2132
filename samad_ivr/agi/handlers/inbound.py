"""Route `inbound`: decide where a new call goes and tell the dialplan.

Runs after the greeting.  Sets SAMAD_ROUTE to desk (an official is on duty), closed
(announce the next session, then a message) or message (the roster cannot be read).
"""

from __future__ import annotations

import logging

from samad_ivr.agi import variables as v
from samad_ivr.agi.handlers.common import Channel, RouteDeps, read_report
from samad_ivr.calls.routing import RosterSnapshot, RosterUnavailable
from samad_ivr.domain.phone import normalise_caller_id
from samad_ivr.domain.roster import Closed, DutySlot, Official, OnDuty
from samad_ivr.domain.spoken import jalali_date_prompts, time_prompts

log = logging.getLogger(__name__)


async def handle(channel: Channel, deps: RouteDeps) -> None:
    report = await read_report(channel)
    log.info("inbound call from %s", normalise_caller_id(report.caller_raw).masked)
    values = {v.MESSAGE_MAX: str(deps.calls.message_max_seconds)}
    try:
        decision, snapshot = await deps.routing.decide(deps.clock())
    except RosterUnavailable as exc:
        log.error("no roster (%s): the caller is offered a message", exc)
        values[v.ROUTE] = v.ROUTE_MESSAGE
        await channel.set_variables(values)
        return
    values[v.CENTER] = snapshot.center_code
    deps.intake.record_start_soon(report)
    if isinstance(decision, OnDuty):
        values.update(_desk_variables(deps, decision.slot, snapshot))
    else:
        values.update(_closed_variables(deps, decision, snapshot))
    # One round trip for all of them; the route goes last so a partial set never routes.
    values[v.ROUTE] = values.pop(v.ROUTE)
    await channel.set_variables(values)


def _desk_variables(deps: RouteDeps, slot: DutySlot, snapshot: RosterSnapshot) -> dict[str, str]:
    official = slot.official
    log.info("on duty: official %s at %s", official.id, official.desk_endpoint)
    values = {
        # Double underscore: inherited by the queue member leg that rings the desk.
        "__" + v.DESK: official.desk_endpoint,
        v.DESK_RING: str(deps.calls.desk_ring_seconds),
        v.OFFICIAL_ID: str(official.id),
        v.OFFICIAL_PROMPT: official_prompt(deps, official),
        v.QUEUE: snapshot.queue_name,
        v.QUEUE_MAXWAIT: str(deps.calls.queue_max_wait_seconds),
        v.ROUTE: v.ROUTE_DESK,
    }
    if official.deputy is not None:
        values[v.DEPUTY] = official.deputy.desk_endpoint
        values[v.DEPUTY_ID] = str(official.deputy.id)
        values[v.DEPUTY_RING] = str(deps.calls.deputy_ring_seconds)
    return values


def _closed_variables(
    deps: RouteDeps, decision: Closed, snapshot: RosterSnapshot
) -> dict[str, str]:
    prompts = ["closed-intro"]
    session = decision.next_session
    if session is None:
        prompts.append("closed-no-session")
    else:
        local = session.starts_at.astimezone(snapshot.calendar.tz)
        prompts += ["closed-next-session", *jalali_date_prompts(local.date())]
        prompts += [*time_prompts(local.time()), "closed-with"]
        prompts.append(official_prompt(deps, session.official))
    return {v.ANNOUNCE: "&".join(prompts), v.ROUTE: v.ROUTE_CLOSED}


def official_prompt(deps: RouteDeps, official: Official) -> str:
    """The official's own title-and-agency prompt, or the generic one until it exists."""
    name = f"officials/{official.id}"
    if (deps.sounds_dir / f"{name}.sln").is_file():
        return name
    return "official-generic"
