"""Editing a center's roster and calendar settings, each change audited in the same transaction.

Slots are inserted plan by plan: a plan (one slot, a repeat, a CSV file) is checked
against the existing roster and stored all or nothing, so a clash names every date that
collides instead of the first one PostgreSQL happened to hit.

Given a `DeadlineRecomputer`, a change of weekend days recomputes the center's waiting
deadlines in the same transaction.  The duty window moves no deadline: an agency's
deadline runs to the end of a day, whatever the desk's hours.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time

import asyncpg

from samad_ivr.storage import audit
from samad_ivr.storage.audit import Actor
from samad_ivr.storage.db import Pool, connection, require_aware
from samad_ivr.storage.deadlines import CalendarChange, DeadlineRecomputer
from samad_ivr.storage.lifecycle import Actor as LifecycleActor
from samad_ivr.storage.roster import CenterRow, SlotOverlap, center_from_record

CENTERS_SQL = """
SELECT id, code, name, timezone, duty_start, duty_end, weekend_days, queue_name
FROM centers ORDER BY id
"""

CENTER_BY_ID_SQL = """
SELECT id, code, name, timezone, duty_start, duty_end, weekend_days, queue_name
FROM centers WHERE id = $1
"""

SET_DUTY_WINDOW_SQL = "UPDATE centers SET duty_start = $2, duty_end = $3 WHERE id = $1"
SET_WEEKEND_SQL = "UPDATE centers SET weekend_days = $2 WHERE id = $1"

SLOTS_SQL = """
SELECT s.id, s.official_id, o.name, s.starts_at, s.ends_at
FROM duty_slots s JOIN officials o ON o.id = s.official_id
WHERE s.center_id = $1 AND tstzrange(s.starts_at, s.ends_at) && tstzrange($2, $3)
ORDER BY s.starts_at, s.id
"""

SLOT_SQL = """
SELECT s.id, s.official_id, o.name, s.starts_at, s.ends_at
FROM duty_slots s JOIN officials o ON o.id = s.official_id
WHERE s.center_id = $1 AND s.id = $2
"""

FIRST_OVERLAP_SQL = """
SELECT s.id, s.official_id, o.name, s.starts_at, s.ends_at
FROM duty_slots s JOIN officials o ON o.id = s.official_id
WHERE s.center_id = $1 AND tstzrange(s.starts_at, s.ends_at) && tstzrange($2, $3)
  AND s.id <> $4 AND s.official_id = $5
ORDER BY s.starts_at LIMIT 1
"""

INSERT_SLOT_SQL = """
INSERT INTO duty_slots (center_id, official_id, starts_at, ends_at)
VALUES ($1, $2, $3, $4) RETURNING id
"""

MOVE_SLOT_SQL = """
UPDATE duty_slots SET official_id = $3, starts_at = $4, ends_at = $5
WHERE center_id = $1 AND id = $2
"""

DELETE_SLOT_SQL = "DELETE FROM duty_slots WHERE center_id = $1 AND id = $2"


@dataclass(frozen=True, slots=True)
class Slot:
    id: int
    official_id: int
    official_name: str
    starts_at: datetime
    ends_at: datetime

    def as_json(self) -> dict[str, object]:
        return {
            "id": self.id,
            "official_id": self.official_id,
            "official": self.official_name,
            "starts_at": self.starts_at.isoformat(),
            "ends_at": self.ends_at.isoformat(),
        }


@dataclass(frozen=True, slots=True)
class NewSlot:
    official_id: int
    starts_at: datetime
    ends_at: datetime
    official_name: str = ""  # for the audit trail only


class PlanClashes(SlotOverlap):
    """Some slots of a plan overlap the roster; ``clashes`` pairs plan index and slot."""

    def __init__(self, clashes: list[tuple[int, Slot]]) -> None:
        super().__init__(f"{len(clashes)} slot(s) overlap the roster")
        self.clashes = clashes


class SlotMoveClash(SlotOverlap):
    def __init__(self, other: Slot) -> None:
        super().__init__(f"overlaps slot {other.id}")
        self.other = other


def _slot(r: asyncpg.Record) -> Slot:
    return Slot(r["id"], r["official_id"], r["name"], r["starts_at"], r["ends_at"])


class RosterEditor:
    def __init__(self, pool: Pool, deadlines: DeadlineRecomputer | None = None) -> None:
        self._pool = pool
        self._deadlines = deadlines

    async def centers(self) -> list[CenterRow]:
        async with connection(self._pool) as conn:
            return [center_from_record(r) for r in await conn.fetch(CENTERS_SQL)]

    async def center(self, center_id: int) -> CenterRow | None:
        async with connection(self._pool) as conn:
            r = await conn.fetchrow(CENTER_BY_ID_SQL, center_id)
        return None if r is None else center_from_record(r)

    async def set_duty_window(self, center_id: int, start: time, end: time, actor: Actor) -> None:
        async with connection(self._pool) as conn, conn.transaction():
            before = await conn.fetchrow(CENTER_BY_ID_SQL, center_id)
            await conn.execute(SET_DUTY_WINDOW_SQL, center_id, start, end)
            await audit.record(
                conn,
                actor,
                center_id,
                "duty_window_set",
                before and {"start": str(before["duty_start"]), "end": str(before["duty_end"])},
                {"start": str(start), "end": str(end)},
            )

    async def set_weekend(self, center_id: int, weekend: frozenset[int], actor: Actor) -> None:
        async with connection(self._pool) as conn, conn.transaction():
            before = await conn.fetchrow(CENTER_BY_ID_SQL, center_id)
            await conn.execute(SET_WEEKEND_SQL, center_id, sorted(weekend))
            await audit.record(
                conn,
                actor,
                center_id,
                "weekend_set",
                before and {"weekend_days": sorted(before["weekend_days"])},
                {"weekend_days": sorted(weekend)},
            )
            old = frozenset(before["weekend_days"]) if before is not None else weekend
            if self._deadlines is not None and old != weekend:
                change = CalendarChange.weekend_changed(old, weekend)
                who = (
                    None if actor.user_id is None else LifecycleActor(actor.user_id, actor.username)
                )
                await self._deadlines.within(conn, center_id, change, who)

    async def slots(self, center_id: int, start: datetime, end: datetime) -> list[Slot]:
        """Slots overlapping ``[start, end)``, by start."""
        require_aware(start, "start")
        require_aware(end, "end")
        async with connection(self._pool) as conn:
            return [_slot(r) for r in await conn.fetch(SLOTS_SQL, center_id, start, end)]

    async def slot(self, center_id: int, slot_id: int) -> Slot | None:
        async with connection(self._pool) as conn:
            r = await conn.fetchrow(SLOT_SQL, center_id, slot_id)
        return None if r is None else _slot(r)

    async def add_plan(
        self, center_id: int, plan: Sequence[NewSlot], actor: Actor, action: str
    ) -> list[int]:
        """Insert every slot of ``plan`` or none; `PlanClashes` lists each collision."""
        for new in plan:
            require_aware(new.starts_at, "starts_at")
            require_aware(new.ends_at, "ends_at")
        async with connection(self._pool) as conn, conn.transaction():
            clashes: list[tuple[int, Slot]] = []
            for index, new in enumerate(plan):
                other = await conn.fetchrow(
                    FIRST_OVERLAP_SQL, center_id, new.starts_at, new.ends_at, 0, new.official_id
                )
                if other is not None:
                    clashes.append((index, _slot(other)))
            if clashes:
                raise PlanClashes(clashes)
            ids = []
            try:
                for new in plan:
                    ids.append(
                        int(
                            await conn.fetchval(
                                INSERT_SLOT_SQL,
                                center_id,
                                new.official_id,
                                new.starts_at,
                                new.ends_at,
                            )
                        )
                    )
            except asyncpg.ExclusionViolationError as exc:
                # A concurrent admin won the race (or the plan overlaps itself).
                raise SlotOverlap(f"center {center_id}: plan overlaps the roster") from exc
            after = [
                {**_new_json(new), "id": slot_id} for new, slot_id in zip(plan, ids, strict=True)
            ]
            await audit.record(
                conn, actor, center_id, action, None, after[0] if len(after) == 1 else after
            )
        return ids

    async def move_slot(
        self, center_id: int, slot_id: int, new: NewSlot, actor: Actor
    ) -> Slot | None:
        """Change official, date and time of a slot; None if the center has no such slot."""
        async with connection(self._pool) as conn, conn.transaction():
            before = await conn.fetchrow(SLOT_SQL, center_id, slot_id)
            if before is None:
                return None
            other = await conn.fetchrow(
                FIRST_OVERLAP_SQL, center_id, new.starts_at, new.ends_at, slot_id, new.official_id
            )
            if other is not None:
                raise SlotMoveClash(_slot(other))
            try:
                await conn.execute(
                    MOVE_SLOT_SQL, center_id, slot_id, new.official_id, new.starts_at, new.ends_at
                )
            except asyncpg.ExclusionViolationError as exc:
                raise SlotOverlap(f"center {center_id}: moved slot overlaps") from exc
            await audit.record(
                conn,
                actor,
                center_id,
                "slot_move",
                _slot(before).as_json(),
                {**_new_json(new), "id": slot_id},
            )
            return _slot(before)

    async def delete_slot(self, center_id: int, slot_id: int, actor: Actor) -> Slot | None:
        """Delete a slot; None if the center has no such slot."""
        async with connection(self._pool) as conn, conn.transaction():
            before = await conn.fetchrow(SLOT_SQL, center_id, slot_id)
            if before is None:
                return None
            await conn.execute(DELETE_SLOT_SQL, center_id, slot_id)
            await audit.record(conn, actor, center_id, "slot_delete", _slot(before).as_json())
            return _slot(before)


def _new_json(new: NewSlot) -> dict[str, object]:
    return {
        "official_id": new.official_id,
        "official": new.official_name,
        "starts_at": new.starts_at.isoformat(),
        "ends_at": new.ends_at.isoformat(),
    }
