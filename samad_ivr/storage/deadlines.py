"""Deadlines of a center's open requests, recomputed in one statement when its calendar changes.

An admin adds or removes a closed day, the weekend days change, or the holiday job seeds
a new year: every request of that center still waiting for its agency (`assigned` or
`escalated`, with a deadline) gets `due_on` and `remind_on` computed again, set-based,
in the same transaction as the change.  The statement builds the center's calendar with
`generate_series`, numbers its working days with a running count, and finds each
request's day by an equi-join on that number (see RECOMPUTE_SQL); it agrees with
`samad_ivr.domain.deadlines.compute_deadline`, which a storage test checks over random
calendars.  Every request whose `due_on` moves gets a 'deadline_changed' history row
saying from what to what and why.

Concurrency: calendar changes of one center are serialised by a transaction-level
advisory lock taken before the statement, so the statement's snapshot always sees the
other admin's committed change.  Requests locked by a person's action are waited for,
and the statement then computes from their latest row.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from samad_ivr.domain.deadlines import MAX_SCAN_DAYS, DeadlinePolicy
from samad_ivr.domain.spoken import format_jalali_date
from samad_ivr.storage.db import AnyConnection, Pool, connection, require_aware
from samad_ivr.storage.lifecycle import CALENDAR_LOCK_KEY, Actor

__all__ = [
    "RECOMPUTE_JOB",
    "CalendarChange",
    "DeadlineRecomputer",
    "Recomputed",
    "lock_calendar",
    "recompute_deadlines",
]

log = logging.getLogger(__name__)

RECOMPUTE_JOB = "holiday_recompute"
# A new weekend rewrites every waiting deadline of the center: on a large province that
# outlasts the pool's default command timeout, which would roll the admin's change back.
RECOMPUTE_TIMEOUT = 300.0

# Its own key space ('calendar:'), apart from the SMS and migration locks.
# Exclusive; RequestLifecycle takes the shared side while it sets a deadline.
LOCK_SQL = f"SELECT pg_advisory_xact_lock({CALENDAR_LOCK_KEY})"

# Which dates the history notes may name: the waiting requests' span.
SPAN_SQL = """
SELECT min(deadline_start) AS first, max(due_on) AS last, max(deadline_days) AS days
FROM requests
WHERE center_id = $1 AND status IN ('assigned', 'escalated') AND due_on IS NOT NULL
"""

# $1 center, $2 reminder gap (policy days - reminder day), $3 the days that changed (NULL:
# any day may have, e.g. the weekend), $4 now, $5..$7 the actor, $8 why (Persian),
# $9 details of the change (jsonb text), $10 scan horizon in days, $11/$12 Jalali labels.
#
# A deadline only depends on the days its count looked at, (start, due_on], so a change
# of other days cannot move it (a domain property test checks this) and $3 narrows the
# rows.  On the numbered calendar (rank = working days up to and including the day):
#   working mode:  due = the working day of rank rank(start) + N
#   calendar mode: due = the working day of rank rank(start + N - 1) + 1
# and the reminder the same with its own N.
RECOMPUTE_SQL = """
WITH waiting AS (
    SELECT r.id, r.deadline_start AS start, r.deadline_days AS days, r.deadline_mode AS mode,
           r.due_on, r.remind_on, GREATEST(1, r.deadline_days - $2::int) AS remind_days
    FROM requests r
    WHERE r.center_id = $1 AND r.status IN ('assigned', 'escalated') AND r.due_on IS NOT NULL
      AND ($3::date[] IS NULL OR EXISTS (
            SELECT 1 FROM unnest($3::date[]) AS changed (day)
            WHERE changed.day > r.deadline_start AND changed.day <= r.due_on))
    FOR UPDATE OF r
),
span AS (
    SELECT min(start) AS first, max(start) + max(days) * 7 + $10::int AS last FROM waiting
),
calendar AS (
    SELECT s.first + g.n AS day,
           NOT (extract(isodow FROM s.first + g.n)::int - 1 = ANY (c.weekend_days))
           AND NOT EXISTS (SELECT 1 FROM closed_days cd
                           WHERE cd.center_id = $1 AND cd.day = s.first + g.n) AS working
    FROM span s
    JOIN centers c ON c.id = $1
    CROSS JOIN generate_series(0, s.last - s.first) AS g (n)
),
ranked AS (
    SELECT day, working, count(*) FILTER (WHERE working) OVER (ORDER BY day) AS rank
    FROM calendar
),
work AS (SELECT rank, day FROM ranked WHERE working),
computed AS (
    SELECT w.id, w.due_on, w.remind_on, due.day AS new_due, rem.day AS new_remind
    FROM waiting w
    JOIN ranked due_from ON due_from.day =
         CASE w.mode WHEN 'working' THEN w.start ELSE w.start + w.days - 1 END
    JOIN work due ON due.rank =
         due_from.rank + CASE w.mode WHEN 'working' THEN w.days ELSE 1 END
    JOIN ranked rem_from ON rem_from.day =
         CASE w.mode WHEN 'working' THEN w.start ELSE w.start + w.remind_days - 1 END
    JOIN work rem ON rem.rank =
         rem_from.rank + CASE w.mode WHEN 'working' THEN w.remind_days ELSE 1 END
),
moved AS (
    UPDATE requests r
    SET due_on = c.new_due, remind_on = c.new_remind,
        -- A page showing the old deadline is stale; a moved reminder alone is not.
        version = r.version + (c.new_due <> c.due_on)::int
    FROM computed c
    -- Repeats what `waiting` chose: without it the planner expects most of the table
    -- from `computed` and hashes every request instead of a center's few hundred.
    WHERE r.id = c.id AND r.center_id = $1 AND r.status IN ('assigned', 'escalated')
      AND (c.new_due <> c.due_on OR c.new_remind IS DISTINCT FROM c.remind_on)
    RETURNING r.id, c.due_on AS old_due, c.new_due, c.remind_on AS old_remind, c.new_remind
),
labels AS (
    SELECT * FROM unnest($11::date[], $12::text[]) AS l (day, label)
),
logged AS (
    INSERT INTO request_history (request_id, at, event, user_id, username, job, note, details)
    SELECT m.id, $4::timestamptz, 'deadline_changed', $5::int, $6::text, $7::text,
           'مهلت پاسخ از ' || coalesce(lo.label, m.old_due::text) || ' به '
               || coalesce(ln.label, m.new_due::text) || ' تغییر کرد: ' || $8::text,
           $9::text::jsonb || jsonb_build_object(
               'old_due_on', m.old_due, 'due_on', m.new_due,
               'old_remind_on', m.old_remind, 'remind_on', m.new_remind)
    FROM moved m
    LEFT JOIN labels lo ON lo.day = m.old_due
    LEFT JOIN labels ln ON ln.day = m.new_due
    WHERE m.new_due <> m.old_due
    RETURNING request_id
)
SELECT (SELECT count(*) FROM waiting) AS checked,
       (SELECT count(*) FROM computed) AS computed,
       (SELECT count(*) FROM moved) AS updated,
       (SELECT count(*) FROM logged) AS due_moved
"""

CENTERS_SQL = "SELECT id FROM centers ORDER BY id"


def _fa(day: date) -> str:
    return format_jalali_date(day)


@dataclass(frozen=True, slots=True)
class CalendarChange:
    """What changed in a center's calendar, for the history rows it causes."""

    reason: str  # holiday_added, holiday_removed, weekend_changed, holidays_seeded, reconcile
    why_fa: str  # the end of each history note: «... تغییر کرد: <why_fa>»
    days: tuple[date, ...] | None  # the days that changed; None: any day may have
    details: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def holiday_added(cls, day: date, name: str) -> CalendarChange:
        return cls(
            "holiday_added",
            f"روز {_fa(day)} («{name}») تعطیل اعلام شد.",
            (day,),
            {"day": day.isoformat(), "name": name},
        )

    @classmethod
    def holiday_removed(cls, day: date, name: str | None) -> CalendarChange:
        label = f" («{name}»)" if name else ""
        return cls(
            "holiday_removed",
            f"تعطیلی روز {_fa(day)}{label} برداشته شد.",
            (day,),
            {"day": day.isoformat(), "name": name},
        )

    @classmethod
    def weekend_changed(cls, before: frozenset[int], after: frozenset[int]) -> CalendarChange:
        return cls(
            "weekend_changed",
            "روزهای تعطیل هفتگی مرکز تغییر کرد.",
            None,
            {"weekend_before": sorted(before), "weekend_after": sorted(after)},
        )

    @classmethod
    def holidays_seeded(cls, days: tuple[date, ...]) -> CalendarChange:
        return cls(
            "holidays_seeded",
            "تعطیلات رسمی سال به تقویم مرکز افزوده شد.",
            days,
            {"days": [d.isoformat() for d in days]},
        )

    @classmethod
    def reconcile(cls) -> CalendarChange:
        """The nightly check that stored deadlines match the calendar as it is now."""
        return cls("reconcile", "بازبینی مهلت‌ها با تقویم کنونی مرکز.", None)


@dataclass(frozen=True, slots=True)
class Recomputed:
    checked: int  # waiting requests whose count may have looked at a changed day
    updated: int  # rows whose due_on or remind_on changed
    due_moved: int  # of them, rows whose due_on changed (each has a history row)
    uncomputable: int = 0  # no working day within the horizon: left as they were


async def lock_calendar(conn: AnyConnection, center_id: int) -> None:
    """Serialise calendar changes of one center until the transaction ends."""
    await conn.execute(LOCK_SQL, center_id)


def _labels(
    first: date | None, last: date | None, days: int | None
) -> tuple[list[date], list[str]]:
    """Jalali texts for every date a note of this center may name."""
    if first is None or last is None:
        return [], []
    # New deadlines can land past the latest old one (a longer weekend); the rest of
    # the horizon falls back to ISO dates in the note, the details keep exact dates.
    end = last + timedelta(days=(days or 0) * 7 + 60)
    span = [first + timedelta(days=n) for n in range((end - first).days + 1)]
    return span, [_fa(d) for d in span]


async def recompute_deadlines(
    conn: AnyConnection,
    center_id: int,
    change: CalendarChange,
    *,
    policy: DeadlinePolicy,
    actor: Actor,
    now: datetime,
) -> Recomputed:
    """Recompute the waiting requests' deadlines of `center_id` inside the caller's
    transaction (the calendar change is already written on `conn`)."""
    require_aware(now, "now")
    if change.days == ():
        return Recomputed(0, 0, 0)
    await lock_calendar(conn, center_id)
    span = await conn.fetchrow(SPAN_SQL, center_id)
    assert span is not None  # an aggregate always yields a row
    label_days, label_texts = _labels(span["first"], span["last"], span["days"])
    details = {"reason": change.reason, **change.details}
    row = await conn.fetchrow(
        RECOMPUTE_SQL, center_id, policy.days - policy.reminder_day,
        None if change.days is None else list(change.days), now, actor.user_id,
        actor.username, actor.job, change.why_fa, json.dumps(details, ensure_ascii=False),
        MAX_SCAN_DAYS, label_days, label_texts, timeout=RECOMPUTE_TIMEOUT,
    )  # fmt: skip
    assert row is not None
    result = Recomputed(
        checked=row["checked"],
        updated=row["updated"],
        due_moved=row["due_moved"],
        uncomputable=row["checked"] - row["computed"],
    )
    if result.uncomputable:
        log.warning(
            "center %s: %d deadlines have no working day within the horizon; kept",
            center_id, result.uncomputable,
        )  # fmt: skip
    if result.updated:
        log.info(
            "center %s: %s moved %d deadlines (%d rows updated)",
            center_id, change.reason, result.due_moved, result.updated,
        )  # fmt: skip
    return result


class DeadlineRecomputer:
    """The policy-bound entry points: inside a caller's transaction, alone, or nightly."""

    def __init__(self, pool: Pool, policy: DeadlinePolicy) -> None:
        self._pool = pool
        self._policy = policy

    async def within(
        self,
        conn: AnyConnection,
        center_id: int,
        change: CalendarChange,
        actor: Actor | None = None,
        now: datetime | None = None,
    ) -> Recomputed:
        """Recompute on `conn`, in the transaction that made `change`."""
        return await recompute_deadlines(
            conn,
            center_id,
            change,
            policy=self._policy,
            actor=actor or Actor.named(RECOMPUTE_JOB),
            now=now or datetime.now(UTC),
        )

    async def recompute(
        self,
        center_id: int,
        change: CalendarChange,
        *,
        actor: Actor | None = None,
        now: datetime | None = None,
    ) -> Recomputed:
        """Recompute in a transaction of its own (benchmarks, repairs by hand)."""
        async with connection(self._pool) as conn, conn.transaction():
            return await self.within(conn, center_id, change, actor, now)

    async def reconcile(self, now: datetime) -> int:
        """Every center's waiting deadlines checked against its calendar as it is now;
        returns how many deadlines moved.  Catches a change made outside the consoles
        (psql) and a request assigned while a calendar change was being committed."""
        async with connection(self._pool) as conn:
            centers = [int(r["id"]) for r in await conn.fetch(CENTERS_SQL)]
        moved = 0
        for center_id in centers:
            result = await self.recompute(center_id, CalendarChange.reconcile(), now=now)
            moved += result.due_moved
        return moved
