"""Call intake: turn a call report into stored call, recordings, request and SMS.

One code path serves the live post-call route, the register route (caller still on the
line) and the replay of spooled reports, so a call is stored the same way whichever way
it reached us.  Every step is idempotent: replaying a report twice changes nothing.

A request the official already gave an agency and a topic at the desk is assigned right
after registration, in a background task: the call never waits for it and never fails
because of it.  If that assignment fails, the request stays `registered` and the
province admin's queue (/admin/centers/{c}/requests) picks it up.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from samad_ivr.audio.recording import RecordingInfo
from samad_ivr.calls.alarms import CallAlarms, read_message
from samad_ivr.calls.report import CallReport
from samad_ivr.domain.call_outcome import CallOutcome, LegFacts, RouteTaken, decide_outcome
from samad_ivr.domain.lifecycle import Action, Status
from samad_ivr.domain.phone import normalise_caller_id
from samad_ivr.domain.tracking import new_tracking_code
from samad_ivr.sms.templates import TemplateRepository
from samad_ivr.storage.calls import CallRepository, CallUpsert, RecordingKind, Route
from samad_ivr.storage.db import PoolConnection, StorageUnavailable
from samad_ivr.storage.desk import DeskRepository
from samad_ivr.storage.lifecycle import Actor, RequestLifecycle, RequestState
from samad_ivr.storage.requests import RegisteredRequest, RequestRepository
from samad_ivr.storage.roster import RosterRepository

log = logging.getLogger(__name__)

# The desk's assignment after registration gives up after this long (the request then
# waits in the province admin's queue).
ASSIGN_TIMEOUT_SECONDS = 10.0


def _route(report: CallReport, outcome: CallOutcome | None) -> Route | None:
    """The stored route: our callbacks keep theirs whichever desk took them."""
    if outcome is None or outcome.route is None:
        return None
    if report.route == RouteTaken.CALLBACK.value:
        return "callback"
    return outcome.route.value


class _NoLongerRegistered(Exception):
    """The desk (or an admin) assigned the request before intake got to it."""


async def _still_registered(
    _conn: PoolConnection, before: RequestState, _after: RequestState
) -> None:
    if before.status is not Status.REGISTERED:
        raise _NoLongerRegistered(before.status.value)


@dataclass(frozen=True, slots=True)
class IntakeResult:
    call_id: int
    outcome: CallOutcome
    request: RegisteredRequest | None


class CallIntake:
    def __init__(
        self,
        *,
        calls: CallRepository,
        requests: RequestRepository,
        roster: RosterRepository,
        templates: TemplateRepository,
        desk: DeskRepository,
        recordings_dir: Path,
        center_code: str,
        tz: ZoneInfo,
        lifecycle: RequestLifecycle | None = None,
        assign_timeout: float = ASSIGN_TIMEOUT_SECONDS,
        alarms: CallAlarms | None = None,
    ) -> None:
        self._alarms = alarms
        self._calls = calls
        self._templates = templates
        self._desk = desk
        self._requests = requests
        self._roster = roster
        self._recordings_dir = recordings_dir
        self._center_code = center_code
        self._tz = tz
        self._rng = secrets.SystemRandom()
        self._center_id: int | None = None
        self._lifecycle = lifecycle
        self._assign_timeout = assign_timeout
        self._assigning: set[asyncio.Task[None]] = set()

    async def record_start(self, report: CallReport) -> int:
        """Store a call as soon as it is routed, so it is visible while in progress."""
        call_id = await self._upsert(report, None)
        if self._alarms is not None:
            await self._alarms.check_recordings_dir(call_id)
        return call_id

    def record_start_soon(self, report: CallReport) -> None:
        """`record_start` without making the caller wait: the route's decision never
        waits on a write.  A start that cannot be stored is stored by post_call (or its
        spool file); the merge rules make the order irrelevant.  `drain` waits for it."""
        task = asyncio.create_task(self._record_start_quietly(report))
        self._assigning.add(task)
        task.add_done_callback(self._assigning.discard)

    async def _record_start_quietly(self, report: CallReport) -> None:
        try:
            await self.record_start(report)
        except StorageUnavailable as exc:
            log.warning("call start not stored: %s", exc)

    async def take(self, report: CallReport, *, final: bool) -> IntakeResult:
        """Store what the report says; register a request when the call earned one.

        `final` is False while the caller is still on the line (register route): the call
        has no end yet and its recording is still being written.
        """
        message, message_error = await self._message_info(report)
        outcome = decide_outcome(
            LegFacts(
                leg=report.leg,
                dialstatus=report.dialstatus,
                member_interface=report.member_interface,
                official_id=report.official_id,
                deputy_id=report.deputy_id,
                message_seconds=message.duration_seconds if message else None,
            )
        )
        call_id = await self._upsert(report, outcome if final else None)
        if self._alarms is not None:
            if final:
                await self._alarms.check_recordings_dir(call_id)
            if message_error is not None:
                await self._alarms.fault(call_id, "message_unreadable", message_error)
        if message is not None and report.message is not None:
            await self._store_recording(call_id, "message", report.message, message)
        # The official at the desk may have marked the call as "no request".
        wants_request = outcome.creates_request and not await self._desk.no_request(call_id)
        request = await self._register(call_id, report, outcome) if wants_request else None
        if request is not None and request.created:
            self._assign_later(request, report.uniqueid)
        if final and request is None:
            log.info("call %s ended as %s without a request", report.uniqueid, outcome.disposition)
        return IntakeResult(call_id, outcome, request)

    async def drain(self) -> None:
        """Wait for the assignments still running (at shutdown, and in tests)."""
        while self._assigning:
            await asyncio.gather(*self._assigning, return_exceptions=True)

    def _assign_later(self, request: RegisteredRequest, uniqueid: str) -> None:
        if self._lifecycle is None:
            return
        task = asyncio.create_task(self._assign_from_desk(self._lifecycle, request, uniqueid))
        self._assigning.add(task)
        task.add_done_callback(self._assigning.discard)

    async def _assign_from_desk(
        self, lifecycle: RequestLifecycle, request: RegisteredRequest, uniqueid: str
    ) -> None:
        """Assign the new request to the agency and topic chosen at the desk, if any.

        Never raises: whatever goes wrong is logged and the request stays registered."""
        try:
            async with asyncio.timeout(self._assign_timeout):
                pending = await self._desk.pending_assignment(request.call_id)
                if pending is None:
                    return
                actor = (
                    Actor(user_id=pending.user_id, username=pending.username)
                    if pending.user_id is not None
                    else Actor.named("intake")
                )
                state = await lifecycle.act(
                    request.id, Action.ASSIGN, actor=actor, now=datetime.now(UTC),
                    note=pending.summary, agency_id=pending.agency_id, topic=pending.topic,
                    within=_still_registered,
                )  # fmt: skip
            log.info(
                "request %s of call %s assigned from the desk note (due %s)",
                request.id, uniqueid, state.due_on,
            )  # fmt: skip
        except _NoLongerRegistered as exc:
            log.info("request %s of call %s was already %s", request.id, uniqueid, exc)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            # Caller numbers never reach this line: the request and call are named by id.
            log.warning(
                "request %s of call %s stays registered: the desk's assignment failed (%s: %s)",
                request.id, uniqueid, type(exc).__name__, exc,
            )  # fmt: skip

    async def store_call_recording(self, call_id: int, name: str, info: RecordingInfo) -> None:
        await self._store_recording(call_id, "call", name, info)

    async def _register(
        self, call_id: int, report: CallReport, outcome: CallOutcome
    ) -> RegisteredRequest:
        caller = normalise_caller_id(report.caller_raw)
        agency_id = None
        if outcome.official_id is not None:
            agency_id = await self._roster.agency_of(outcome.official_id)
        registered_at = datetime.now(UTC)
        # Admins edit the text; it is loaded before the registering transaction.
        render = await self._templates.tracking_code_renderer(registered_at, self._tz)
        request = await self._requests.register(
            call_id=call_id,
            caller_e164=caller.e164,
            official_id=outcome.official_id,
            agency_id=agency_id,
            # Caller ID can be spoofed: the code goes by SMS to mobiles only.
            sms_destination=caller.e164 if caller.is_mobile else None,
            sms_body_template=render,
            new_code=lambda: new_tracking_code(self._rng),
        )
        if request.created:
            log.info(
                "request registered for call %s (sms %s)",
                report.uniqueid,
                "queued" if request.sms_id else "not sent: no mobile number",
            )
        return request

    async def _upsert(self, report: CallReport, outcome: CallOutcome | None) -> int:
        caller = normalise_caller_id(report.caller_raw)
        queue_wait: float | None = None
        if report.queue_hold_seconds is not None:
            queue_wait = float(report.queue_hold_seconds)
        elif report.queue_enter_at is not None and report.ended_at is not None:
            queue_wait = max(0.0, (report.ended_at - report.queue_enter_at).total_seconds())
        return await self._calls.upsert_call(
            CallUpsert(
                uniqueid=report.uniqueid,
                systemname=report.systemname,
                linkedid=report.linkedid,
                center_id=await self._center(),
                caller_raw=report.caller_raw,
                caller_name_raw=report.caller_name_raw,
                caller_e164=caller.e164,
                started_at=report.started_at or datetime.now(UTC),
                answered_at=report.answered_at,
                ended_at=report.ended_at,
                disposition=outcome.disposition.value if outcome else None,
                route=_route(report, outcome),
                official_id=outcome.official_id if outcome else None,
                queue_wait_seconds=queue_wait if outcome else None,
            )
        )

    async def _center(self) -> int | None:
        if self._center_id is None:
            center = await self._roster.find_center(self._center_code)
            self._center_id = center.id if center else None
        return self._center_id

    async def _message_info(self, report: CallReport) -> tuple[RecordingInfo | None, str | None]:
        """The message's facts, or why a message file that exists cannot be read."""
        if report.message is None:
            return None, None
        return await asyncio.to_thread(read_message, self._recordings_dir / report.message)

    async def _store_recording(
        self, call_id: int, kind: RecordingKind, name: str, info: RecordingInfo
    ) -> None:
        await self._calls.add_recording(
            call_id=call_id,
            kind=kind,
            path=name,
            duration_seconds=info.duration_seconds,
            size_bytes=info.size_bytes,
            sha256=info.sha256,
            finished_at=datetime.now(UTC),
        )
