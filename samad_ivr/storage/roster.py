"""Centers, agencies, officials, duty slots and closed days."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time

import asyncpg

from samad_ivr.storage.db import Pool, StorageError, connection, require_aware

CENTER_SQL = """
SELECT id, code, name, timezone, duty_start, duty_end, weekend_days, queue_name
FROM centers WHERE code = $1
"""

# One level of deputy: the deputy's own deputy is not followed.
SLOTS_BETWEEN_SQL = """
SELECT s.id AS slot_id, s.starts_at, s.ends_at,
       o.id AS o_id, o.name AS o_name, o.title AS o_title, o.agency_id AS o_agency_id,
       a.name AS o_agency_name, o.desk_endpoint AS o_desk_endpoint, o.mobile AS o_mobile,
       d.id AS d_id, d.name AS d_name, d.title AS d_title, d.agency_id AS d_agency_id,
       da.name AS d_agency_name, d.desk_endpoint AS d_desk_endpoint, d.mobile AS d_mobile
FROM duty_slots s
JOIN officials o ON o.id = s.official_id
LEFT JOIN agencies a ON a.id = o.agency_id
LEFT JOIN officials d ON d.id = o.deputy_id
LEFT JOIN agencies da ON da.id = d.agency_id
WHERE s.center_id = $1 AND tstzrange(s.starts_at, s.ends_at) && tstzrange($2, $3)
ORDER BY s.starts_at
"""

CLOSED_DAYS_SQL = """
SELECT day FROM closed_days WHERE center_id = $1 AND day BETWEEN $2 AND $3
"""

AGENCY_OF_SQL = "SELECT agency_id FROM officials WHERE id = $1"

OFFICIAL_BY_DESK_SQL = """
SELECT id FROM officials WHERE center_id = $1 AND desk_endpoint = $2 ORDER BY id LIMIT 1
"""

ENSURE_CENTER_SQL = """
INSERT INTO centers (code, name, queue_name) VALUES ($1, $2, $3)
ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name, queue_name = EXCLUDED.queue_name
RETURNING id
"""

SET_WEEKEND_SQL = "UPDATE centers SET weekend_days = $2 WHERE id = $1"

ENSURE_AGENCY_SQL = """
INSERT INTO agencies (center_id, name) VALUES ($1, $2)
ON CONFLICT (center_id, name) DO UPDATE SET name = EXCLUDED.name
RETURNING id
"""

ADD_OFFICIAL_SQL = """
INSERT INTO officials (center_id, name, title, agency_id, desk_endpoint, mobile, deputy_id)
VALUES ($1, $2, $3, $4, $5, $6, $7)
RETURNING id
"""

ADD_SLOT_SQL = """
INSERT INTO duty_slots (center_id, official_id, starts_at, ends_at)
VALUES ($1, $2, $3, $4)
RETURNING id
"""

OVERLAPPING_SLOT_SQL = """
SELECT s.id, s.starts_at, s.ends_at, o.name
FROM duty_slots s JOIN officials o ON o.id = s.official_id
WHERE s.center_id = $1 AND tstzrange(s.starts_at, s.ends_at) && tstzrange($2, $3)
  AND s.official_id = $4
ORDER BY s.starts_at
LIMIT 1
"""

ADD_CLOSED_DAY_SQL = """
INSERT INTO closed_days (center_id, day, name) VALUES ($1, $2, $3)
ON CONFLICT (center_id, day) DO UPDATE SET name = EXCLUDED.name
"""


class RosterError(StorageError):
    """Base of the roster repository's errors."""


class UnknownCenter(RosterError, LookupError):
    """No center has the requested code."""


class SlotOverlap(RosterError):
    """A new duty slot overlaps an existing slot of the same official (several officials
    of a center may be on duty at once; one official is never in two slots)."""


class InvalidOfficial(RosterError, ValueError):
    """An official's data violates a table constraint (e.g. an unsafe desk endpoint)."""


@dataclass(frozen=True, slots=True)
class CenterRow:
    id: int
    code: str
    name: str
    timezone: str
    duty_start: time
    duty_end: time
    weekend_days: frozenset[int]  # Monday = 0
    queue_name: str


def center_from_record(r: asyncpg.Record) -> CenterRow:
    """A `centers` row as a CenterRow (shared with the roster editor)."""
    return CenterRow(
        id=r["id"],
        code=r["code"],
        name=r["name"],
        timezone=r["timezone"],
        duty_start=r["duty_start"],
        duty_end=r["duty_end"],
        weekend_days=frozenset(r["weekend_days"]),
        queue_name=r["queue_name"],
    )


@dataclass(frozen=True, slots=True)
class OfficialRow:
    id: int
    name: str
    title: str
    agency_id: int | None
    agency_name: str | None
    desk_endpoint: str
    mobile: str | None
    deputy: OfficialRow | None


@dataclass(frozen=True, slots=True)
class SlotRow:
    id: int
    starts_at: datetime
    ends_at: datetime
    official: OfficialRow


def _official(r: asyncpg.Record, prefix: str, deputy: OfficialRow | None) -> OfficialRow:
    return OfficialRow(
        id=r[f"{prefix}_id"],
        name=r[f"{prefix}_name"],
        title=r[f"{prefix}_title"],
        agency_id=r[f"{prefix}_agency_id"],
        agency_name=r[f"{prefix}_agency_name"],
        desk_endpoint=r[f"{prefix}_desk_endpoint"],
        mobile=r[f"{prefix}_mobile"],
        deputy=deputy,
    )


def _slot(r: asyncpg.Record) -> SlotRow:
    deputy = _official(r, "d", None) if r["d_id"] is not None else None
    return SlotRow(
        id=r["slot_id"],
        starts_at=r["starts_at"],
        ends_at=r["ends_at"],
        official=_official(r, "o", deputy),
    )


class RosterRepository:
    def __init__(self, pool: Pool) -> None:
        self._pool = pool

    async def center(self, code: str) -> CenterRow:
        """The center with `code`; raises `UnknownCenter` if there is none."""
        found = await self.find_center(code)
        if found is None:
            raise UnknownCenter(f"no center with code {code!r}")
        return found

    async def find_center(self, code: str) -> CenterRow | None:
        async with connection(self._pool) as conn:
            r = await conn.fetchrow(CENTER_SQL, code)
        return None if r is None else center_from_record(r)

    async def slots_between(self, center_id: int, start: datetime, end: datetime) -> list[SlotRow]:
        """Slots of the center overlapping the half-open interval [start, end), by start."""
        require_aware(start, "start")
        require_aware(end, "end")
        async with connection(self._pool) as conn:
            rows = await conn.fetch(SLOTS_BETWEEN_SQL, center_id, start, end)
        return [_slot(r) for r in rows]

    async def closed_days(self, center_id: int, start: date, end: date) -> frozenset[date]:
        """Closed days of the center from `start` to `end`, both inclusive."""
        async with connection(self._pool) as conn:
            rows = await conn.fetch(CLOSED_DAYS_SQL, center_id, start, end)
        return frozenset(r["day"] for r in rows)

    async def agency_of(self, official_id: int) -> int | None:
        """The official's agency id (None if the official has none or does not exist)."""
        async with connection(self._pool) as conn:
            agency_id = await conn.fetchval(AGENCY_OF_SQL, official_id)
        return None if agency_id is None else int(agency_id)

    async def find_official_by_desk(self, center_id: int, desk_endpoint: str) -> int | None:
        """Id of the center's (first) official at `desk_endpoint`, if any."""
        async with connection(self._pool) as conn:
            official_id = await conn.fetchval(OFFICIAL_BY_DESK_SQL, center_id, desk_endpoint)
        return None if official_id is None else int(official_id)

    # -- seeding helpers (demo data, admin console, tests) --------------------------

    async def ensure_center(self, code: str, name: str, queue_name: str) -> int:
        """Create the center or update its name and queue; return its id."""
        async with connection(self._pool) as conn:
            center_id = await conn.fetchval(ENSURE_CENTER_SQL, code, name, queue_name)
        return int(center_id)

    async def set_weekend(self, center_id: int, weekend_days: frozenset[int]) -> None:
        """Weekend days (Monday = 0) are data: offices move to new working weeks."""
        async with connection(self._pool) as conn:
            await conn.execute(SET_WEEKEND_SQL, center_id, sorted(weekend_days))

    async def ensure_agency(self, center_id: int, name: str) -> int:
        async with connection(self._pool) as conn:
            agency_id = await conn.fetchval(ENSURE_AGENCY_SQL, center_id, name)
        return int(agency_id)

    async def add_official(
        self,
        center_id: int,
        name: str,
        title: str,
        agency_id: int | None,
        desk_endpoint: str,
        mobile: str | None = None,
        deputy_id: int | None = None,
    ) -> int:
        """Insert an official; raises `InvalidOfficial` on an unsafe endpoint or bad mobile."""
        args = (center_id, name, title, agency_id, desk_endpoint, mobile, deputy_id)
        try:
            async with connection(self._pool) as conn:
                official_id = await conn.fetchval(ADD_OFFICIAL_SQL, *args)
        except asyncpg.CheckViolationError as exc:
            raise InvalidOfficial(
                f"official {name!r} rejected by {exc.constraint_name}: "
                f"desk_endpoint={desk_endpoint!r} mobile={mobile!r}"
            ) from exc
        return int(official_id)

    async def add_slot(
        self, center_id: int, official_id: int, starts_at: datetime, ends_at: datetime
    ) -> int:
        """Insert a duty slot; raises `SlotOverlap` if it overlaps another slot of the official."""
        require_aware(starts_at, "starts_at")
        require_aware(ends_at, "ends_at")
        if ends_at <= starts_at:
            raise ValueError(f"slot must end after it starts: {starts_at} .. {ends_at}")
        async with connection(self._pool) as conn:
            try:
                slot_id = await conn.fetchval(
                    ADD_SLOT_SQL, center_id, official_id, starts_at, ends_at
                )
            except asyncpg.ExclusionViolationError as exc:
                other = await conn.fetchrow(
                    OVERLAPPING_SLOT_SQL, center_id, starts_at, ends_at, official_id
                )
                detail = (
                    f"slot {other['id']} of {other['name']} "
                    f"({other['starts_at'].isoformat()} .. {other['ends_at'].isoformat()})"
                    if other is not None
                    else "an existing slot"
                )
                raise SlotOverlap(
                    f"center {center_id}: slot {starts_at.isoformat()} .. {ends_at.isoformat()} "
                    f"overlaps {detail}"
                ) from exc
        return int(slot_id)

    async def add_closed_day(self, center_id: int, day: date, name: str) -> None:
        """Mark `day` closed (holiday or ad-hoc closure); re-adding renames it."""
        async with connection(self._pool) as conn:
            await conn.execute(ADD_CLOSED_DAY_SQL, center_id, day, name)
