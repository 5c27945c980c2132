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
from samad_ivr.domain.roster import Closed, Official, OnDuty
from samad_ivr.domain.spoken import jalali_date_prompts, time_prompts, who_answers_prompts

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
        values.update(_desk_variables(deps, decision, snapshot))
    else:
        values.update(_closed_variables(deps, decision, snapshot))
    # One round trip for all of them; the route goes last so a partial set never routes.
    values[v.ROUTE] = values.pop(v.ROUTE)
    await channel.set_variables(values)


def _desk_variables(deps: RouteDeps, decision: OnDuty, snapshot: RosterSnapshot) -> dict[str, str]:
    officials = decision.officials
    log.info("on duty: officials %s", [o.id for o in officials])
    if deps.kick_queue is not None:
        deps.kick_queue()  # the members are right before the caller joins
    first = officials[0]
    values = {
        # The first official until a queue member answers (MEMBERNAME, in the dialplan).
        v.OFFICIAL_ID: str(first.id),
        v.OFFICIAL_PROMPT: official_prompt(deps, first),
        v.WHO_PROMPTS: "&".join(who_answers_prompts([official_prompt(deps, o) for o in officials])),
        v.QUEUE: snapshot.queue_name,
        v.QUEUE_MAXWAIT: str(deps.calls.queue_max_wait_seconds),
        v.ROUTE: v.ROUTE_DESK,
    }
    if first.deputy is not None:
        values[v.DEPUTY_ID] = str(first.deputy.id)
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
