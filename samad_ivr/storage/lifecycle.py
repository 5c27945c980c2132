"""Moving a request through its life: one locked transaction per action, one history row.

`RequestLifecycle.act` is the only way a person's action changes a request's status:
it locks the row (`FOR UPDATE`), asks the domain whether the move exists, refuses a page
that saw an older version, writes the new state and its history row, and runs the
caller's own writes (an answer, a visit note, an SMS) in the same transaction, so nothing
is half-written.  Two people acting at once: the second waits for the lock, then finds
the request moved on and gets `TransitionConflict` or `StaleRequest`.

Jobs that move many requests at once (escalation, recomputation) are set-based SQL in
their own modules and write the same history rows.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from samad_ivr.domain.deadlines import (
    MAX_SCAN_DAYS,
    Deadline,
    DeadlineMode,
    DeadlinePolicy,
    WorkCalendar,
    compute_deadline,
)
from samad_ivr.domain.lifecycle import Action, Status, TransitionRefused, next_status
from samad_ivr.storage.accounts import User
from samad_ivr.storage.db import Pool, PoolConnection, StorageError, connection, require_aware
from samad_ivr.storage.lifecycle_rows import (
    HISTORY_COLUMNS,
    STATE_COLUMNS,
    HistoryEntry,
    RequestState,
    history_entry,
    request_state,
)

__all__ = [
    "Actor",
    "HistoryEntry",
    "InvalidAssignment",
    "LifecycleError",
    "RequestLifecycle",
    "RequestNotFound",
    "RequestState",
    "StaleRequest",
    "TransitionConflict",
    "explain_deadline",
    "load_calendar",
]

# As far as the domain ever scans for working days, so Python and SQL agree.
CALENDAR_HORIZON_DAYS = MAX_SCAN_DAYS

LOCK_SQL = f"SELECT {STATE_COLUMNS} FROM requests r WHERE r.id = $1 FOR UPDATE"
CENTER_OF_SQL = "SELECT center_id FROM requests WHERE id = $1"
# Shared side of the lock samad_ivr.storage.deadlines takes (same key) while it changes a
# center's calendar and recomputes its deadlines: a deadline set now waits for that change
# to commit and is computed from the new calendar, or the recomputation waits for it.
CALENDAR_LOCK_KEY = "hashtextextended('calendar:' || $1::int, 0)"
CALENDAR_SHARED_LOCK_SQL = f"SELECT pg_advisory_xact_lock_shared({CALENDAR_LOCK_KEY})"
DEADLINE_ACTIONS = frozenset({Action.ASSIGN, Action.SEND_BACK})
GET_SQL = f"SELECT {STATE_COLUMNS} FROM requests r WHERE r.id = $1"
GET_BY_CODE_SQL = f"SELECT {STATE_COLUMNS} FROM requests r WHERE r.tracking_code = $1"
HISTORY_SQL = f"""
SELECT {HISTORY_COLUMNS} FROM request_history h WHERE h.request_id = $1 ORDER BY h.id
"""
CENTER_SQL = "SELECT timezone, weekend_days FROM centers WHERE id = $1"
CLOSED_DAYS_SQL = """
SELECT day, name FROM closed_days WHERE center_id = $1 AND day > $2 AND day <= $3
"""
AGENCY_CENTER_SQL = "SELECT center_id FROM agencies WHERE id = $1"
TOPIC_SQL = "SELECT active FROM topics WHERE center_id = $1 AND code = $2"

INSERT_HISTORY_SQL = """
INSERT INTO request_history (request_id, at, event, action, from_status, to_status,
                             user_id, username, job, note, details)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11::jsonb)
"""

# Every action writes the whole lifecycle part of the row; `version` moves on.
UPDATE_SQL = """
UPDATE requests SET
    status = $2, version = version + 1, center_id = $3, agency_id = $4, topic = $5,
    assigned_at = $6, deadline_start = $7, deadline_days = $8, deadline_mode = $9,
    due_on = $10, remind_on = $11, long_stop_on = $12, reminded_at = $13,
    escalated_at = $14, long_stop_at = $15, answered_at = $16, answered_late = $17,
    closed_at = $18
WHERE id = $1
"""


class LifecycleError(StorageError):
    """Base of the lifecycle's errors; each carries a Persian message for pages."""

    message_fa = "این کار انجام نشد."


class RequestNotFound(LifecycleError, LookupError):
    message_fa = "درخواستی با این مشخصات پیدا نشد."


class TransitionConflict(LifecycleError):
    """The action does not exist from the request's current status (HTTP 409)."""

    def __init__(self, refused: TransitionRefused) -> None:
        super().__init__(str(refused))
        self.refused = refused
        self.message_fa = refused.message_fa


class StaleRequest(LifecycleError):
    """The page acted on a version of the request that somebody else has changed."""

    message_fa = (
        "این درخواست هم‌زمان توسط کاربر دیگری تغییر کرده است؛ صفحه را دوباره باز کنید"
        " و وضعیت تازه را ببینید."
    )


class InvalidAssignment(LifecycleError, ValueError):
    """The agency or topic does not belong to the request's center."""

    def __init__(self, message: str, message_fa: str) -> None:
        super().__init__(message)
        self.message_fa = message_fa


@dataclass(frozen=True, slots=True)
class Actor:
    """Who acts: a console user, or a named job (`deadline_job`, `citizen_ivr`, ...)."""

    user_id: int | None = None
    username: str | None = None
    job: str | None = None

    def __post_init__(self) -> None:
        if (self.user_id is None) == (self.job is None):
            raise ValueError("an actor is either a user or a job")

    @classmethod
    def of(cls, user: User) -> Actor:
        return cls(user_id=user.id, username=user.username)

    @classmethod
    def named(cls, job: str) -> Actor:
        return cls(job=job)


# The caller's own writes inside the action's transaction (answer rows, visit notes,
# an SMS).  They see the state before and after the move (not yet written) and return
# details for the history row.
Within = Callable[[PoolConnection, RequestState, RequestState], Awaitable[dict[str, Any] | None]]


async def load_calendar(
    conn: PoolConnection, center_id: int, start: date
) -> tuple[ZoneInfo, WorkCalendar]:
    """The center's time zone and its working days from `start` on."""
    center = await conn.fetchrow(CENTER_SQL, center_id)
    if center is None:
        raise RequestNotFound(f"center {center_id} does not exist")
    rows = await conn.fetch(
        CLOSED_DAYS_SQL, center_id, start, start + timedelta(days=CALENDAR_HORIZON_DAYS)
    )
    calendar = WorkCalendar(
        weekend=frozenset(center["weekend_days"]),
        closed_days={r["day"]: r["name"] for r in rows},
    )
    return ZoneInfo(center["timezone"]), calendar


async def explain_deadline(conn: PoolConnection, state: RequestState) -> Deadline | None:
    """The request's deadline computed again from today's calendar, with the days it
    skipped and why (what pages show); None while it has none."""
    if state.deadline_start is None or state.deadline_days is None or state.center_id is None:
        return None
    _tz, calendar = await load_calendar(conn, state.center_id, state.deadline_start)
    mode = DeadlineMode(state.deadline_mode or DeadlineMode.CALENDAR)
    return compute_deadline(state.deadline_start, state.deadline_days, mode, calendar)


def deadline_details(deadline: Deadline) -> dict[str, Any]:
    """How a deadline was reached, for its history row."""
    return {
        "start": deadline.start.isoformat(),
        "days": deadline.days,
        "mode": deadline.mode.value,
        "due_on": deadline.due_on.isoformat(),
        "skipped": [{"day": s.day.isoformat(), "reason": s.reason} for s in deadline.skipped],
    }


class RequestLifecycle:
    def __init__(self, pool: Pool, policy: DeadlinePolicy) -> None:
        self._pool = pool
        self._policy = policy

    @property
    def policy(self) -> DeadlinePolicy:
        return self._policy

    async def get(self, request_id: int) -> RequestState | None:
        async with connection(self._pool) as conn:
            row = await conn.fetchrow(GET_SQL, request_id)
        return None if row is None else request_state(row)

    async def get_by_code(self, tracking_code: str) -> RequestState | None:
        async with connection(self._pool) as conn:
            row = await conn.fetchrow(GET_BY_CODE_SQL, tracking_code)
        return None if row is None else request_state(row)

    async def history(self, request_id: int) -> list[HistoryEntry]:
        async with connection(self._pool) as conn:
            rows = await conn.fetch(HISTORY_SQL, request_id)
        return [history_entry(r) for r in rows]

    async def deadline(self, state: RequestState) -> Deadline | None:
        """The request's deadline with the days it skipped, computed again for display."""
        async with connection(self._pool) as conn:
            return await explain_deadline(conn, state)

    async def assign(
        self,
        request_id: int,
        *,
        agency_id: int,
        topic: str,
        actor: Actor,
        now: datetime,
        note: str | None = None,
        expected_version: int | None = None,
    ) -> RequestState:
        """Assign (or reassign) the request to an agency and a topic; the deadline starts."""
        return await self.act(
            request_id,
            Action.ASSIGN,
            actor=actor,
            now=now,
            note=note,
            expected_version=expected_version,
            agency_id=agency_id,
            topic=topic,
        )

    async def act(
        self,
        request_id: int,
        action: Action,
        *,
        actor: Actor,
        now: datetime,
        note: str | None = None,
        expected_version: int | None = None,
        agency_id: int | None = None,
        topic: str | None = None,
        deadline_days: int | None = None,
        within: Within | None = None,
    ) -> RequestState:
        """Take `action` on the request; raises a `LifecycleError` and writes nothing when
        it cannot be taken.  `deadline_days` is the new deadline of a send-back."""
        require_aware(now, "now")
        async with connection(self._pool) as conn, conn.transaction():
            # Before the row lock, always in this order, so it cannot deadlock with a
            # recomputation (which holds the calendar lock and then locks rows).
            if action in DEADLINE_ACTIONS:
                center_id = await conn.fetchval(CENTER_OF_SQL, request_id)
                if center_id is not None:
                    await conn.execute(CALENDAR_SHARED_LOCK_SQL, center_id)
            row = await conn.fetchrow(LOCK_SQL, request_id)
            if row is None:
                raise RequestNotFound(f"request {request_id} does not exist")
            before = request_state(row)
            if expected_version is not None and expected_version != before.version:
                raise StaleRequest(
                    f"request {request_id} is at version {before.version}, "
                    f"the page saw {expected_version}"
                )
            try:
                status = next_status(before.status, action)
            except TransitionRefused as refused:
                raise TransitionConflict(refused) from None
            after, details = await self._moved(
                conn, before, action, status, now, agency_id, topic, deadline_days
            )
            extra = await within(conn, before, after) if within is not None else None
            if extra:
                details = {**details, **extra}
            await conn.execute(UPDATE_SQL, *_update_args(after))
            await conn.execute(
                INSERT_HISTORY_SQL,
                request_id, now, "transition", action.value, before.status.value,
                status.value, actor.user_id, actor.username, actor.job, note,
                json.dumps(details, ensure_ascii=False) if details else None,
            )  # fmt: skip
        return after

    async def _moved(
        self,
        conn: PoolConnection,
        before: RequestState,
        action: Action,
        status: Status,
        now: datetime,
        agency_id: int | None,
        topic: str | None,
        deadline_days: int | None,
    ) -> tuple[RequestState, dict[str, Any]]:
        """The request after `action`, and what the history row should say about it."""
        details: dict[str, Any] = {}
        after = before.with_status(status)
        if action is Action.ASSIGN:
            if agency_id is None or topic is None:
                raise ValueError("assign needs an agency and a topic")
            center_id = await self._check_assignment(conn, before, agency_id, topic)
            after = after.with_assignment(center_id, agency_id, topic)
            details = {"agency_id": agency_id, "topic": topic}
            if before.agency_id is not None and before.agency_id != agency_id:
                details["previous_agency_id"] = before.agency_id
        if action in (Action.ASSIGN, Action.SEND_BACK):
            if after.center_id is None:
                raise InvalidAssignment(
                    f"request {before.id} has no center", "این درخواست به استانی تعلق ندارد."
                )
            days = deadline_days or self._policy.days
            if not 1 <= days <= 365:
                raise InvalidAssignment(
                    f"deadline days must be 1..365, got {days}", "مهلت باید ۱ تا ۳۶۵ روز باشد."
                )
            # From the day before in UTC: the local day of assignment is never earlier.
            tz, calendar = await load_calendar(
                conn, after.center_id, (now - timedelta(days=1)).date()
            )
            start = now.astimezone(tz).date()
            deadline = compute_deadline(start, days, self._policy.mode, calendar)
            # A send-back with its own N keeps the policy's distances to the end: the
            # reminder as many days before the deadline, the long stop as many after.
            before_end = self._policy.days - self._policy.reminder_day
            reminder = compute_deadline(
                start, max(1, days - before_end), self._policy.mode, calendar
            )
            after_end = self._policy.long_stop_days - self._policy.days
            long_stop = start + timedelta(days=days + after_end)
            after = after.with_deadline(now, deadline, reminder.due_on, long_stop)
            details["deadline"] = deadline_details(deadline)
        elif action is Action.ANSWER:
            tz = await self._center_tz(conn, before.center_id)
            late = before.due_on is not None and now.astimezone(tz).date() > before.due_on
            after = after.with_answer(now, late)
            details["late"] = late
        elif action is Action.ESCALATE:
            after = after.with_escalation(now)
        elif status is Status.CLOSED:
            after = after.with_closed(now)
        elif status is Status.REOPENED:
            after = after.with_closed(None)
        return after, details

    async def _check_assignment(
        self, conn: PoolConnection, before: RequestState, agency_id: int, topic: str
    ) -> int:
        agency_center = await conn.fetchval(AGENCY_CENTER_SQL, agency_id)
        if agency_center is None:
            raise InvalidAssignment(f"agency {agency_id} does not exist", "دستگاه پیدا نشد.")
        center_id = before.center_id if before.center_id is not None else int(agency_center)
        if agency_center != center_id:
            raise InvalidAssignment(
                f"agency {agency_id} is not of center {center_id}",
                "این دستگاه در استان این درخواست نیست.",
            )
        active = await conn.fetchval(TOPIC_SQL, center_id, topic)
        if active is not True:
            raise InvalidAssignment(
                f"topic {topic!r} is not an active topic of center {center_id}",
                "این موضوع در فهرست موضوع‌های فعال استان نیست.",
            )
        return center_id

    async def _center_tz(self, conn: PoolConnection, center_id: int | None) -> ZoneInfo:
        if center_id is None:
            return ZoneInfo("Asia/Tehran")
        name = await conn.fetchval("SELECT timezone FROM centers WHERE id = $1", center_id)
        return ZoneInfo(name or "Asia/Tehran")


def _update_args(s: RequestState) -> tuple[Any, ...]:
    return (
        s.id, s.status.value, s.center_id, s.agency_id, s.topic, s.assigned_at,
        s.deadline_start, s.deadline_days, s.deadline_mode, s.due_on, s.remind_on,
        s.long_stop_on, s.reminded_at, s.escalated_at, s.long_stop_at, s.answered_at,
        s.answered_late, s.closed_at,
    )  # fmt: skip
