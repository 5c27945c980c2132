"""Closed days as data: seeded from the `holidays` package, then edited by admins.

Seeding is once per center and Jalali year (recorded in `holiday_seeds`): a second run
adds nothing, so a day an admin removed or renamed stays the way the admin left it.
Lunar holidays the package only estimates are stored with source 'holidays_estimated'
and a name ending in «(تخمینی)», so an admin can check them against the official decree.

Given a `DeadlineRecomputer`, every change that opens or closes a day recomputes the
center's waiting deadlines in the same transaction (samad_ivr.storage.deadlines).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Literal

import holidays

from samad_ivr.domain.visits import jalali_year_of
from samad_ivr.storage.db import AnyConnection, Pool, StorageError, connection
from samad_ivr.storage.deadlines import CalendarChange, DeadlineRecomputer
from samad_ivr.storage.lifecycle import Actor

__all__ = [
    "ClosedDay",
    "HolidayRepository",
    "HolidaySeed",
    "NoSuchClosedDay",
    "current_and_next_jalali_year",
    "iran_holidays",
]

HolidaySource = Literal["admin", "holidays", "holidays_estimated"]

_ESTIMATED_MARK = "(estimated)"  # how the package flags estimates in its en_US names

LIST_SQL = """
SELECT day, name, source FROM closed_days
WHERE center_id = $1 AND day BETWEEN $2 AND $3
ORDER BY day
"""

ADD_SQL = """
INSERT INTO closed_days (center_id, day, name, source) VALUES ($1, $2, $3, 'admin')
ON CONFLICT (center_id, day) DO UPDATE SET name = EXCLUDED.name, source = 'admin'
"""

# An admin who renames a seeded day has checked it: the row becomes theirs.
RENAME_SQL = """
UPDATE closed_days SET name = $3, source = 'admin' WHERE center_id = $1 AND day = $2
"""

REMOVE_SQL = "DELETE FROM closed_days WHERE center_id = $1 AND day = $2 RETURNING name"

CLAIM_SEED_SQL = """
INSERT INTO holiday_seeds (center_id, jalali_year, seeded_at, days) VALUES ($1, $2, now(), 0)
ON CONFLICT (center_id, jalali_year) DO NOTHING
RETURNING jalali_year
"""

SEED_DAY_SQL = """
INSERT INTO closed_days (center_id, day, name, source) VALUES ($1, $2, $3, $4)
ON CONFLICT (center_id, day) DO NOTHING
RETURNING day
"""

SEED_COUNT_SQL = """
UPDATE holiday_seeds SET days = $3 WHERE center_id = $1 AND jalali_year = $2
"""


class NoSuchClosedDay(StorageError, LookupError):
    """The center has no closed day on that date."""


@dataclass(frozen=True, slots=True)
class ClosedDay:
    day: date
    name: str
    source: HolidaySource


@dataclass(frozen=True, slots=True)
class HolidaySeed:
    """A public holiday from the package, before it becomes a center's closed day."""

    day: date
    name: str
    estimated: bool

    @property
    def source(self) -> HolidaySource:
        return "holidays_estimated" if self.estimated else "holidays"


def iran_holidays(jalali_years: Iterable[int]) -> list[HolidaySeed]:
    """Iran's public holidays falling in the given Jalali years, with Persian names.

    Several holidays on one day come joined by the package («؛»); estimated lunar dates
    get «(تخمینی)» from the package's Persian translation and ``estimated=True``.
    """
    wanted = set(jalali_years)
    if not wanted:
        return []
    gregorian = range(min(wanted) + 621, max(wanted) + 623)
    persian = holidays.country_holidays("IR", years=gregorian, language="fa_IR")
    english = holidays.country_holidays("IR", years=gregorian, language="en_US")
    seeds = [
        HolidaySeed(
            day=day,
            name=str(name),
            estimated=_ESTIMATED_MARK in str(english.get(day, "")),
        )
        for day, name in persian.items()
        if jalali_year_of(day) in wanted
    ]
    return sorted(seeds, key=lambda seed: seed.day)


class HolidayRepository:
    """List, add, rename and remove a center's closed days; seed them from the package."""

    def __init__(self, pool: Pool, deadlines: DeadlineRecomputer | None = None) -> None:
        self._pool = pool
        self._deadlines = deadlines

    async def _recompute(
        self, conn: AnyConnection, center_id: int, change: CalendarChange, actor: Actor | None
    ) -> None:
        if self._deadlines is not None:
            await self._deadlines.within(conn, center_id, change, actor)

    async def list_days(self, center_id: int, start: date, end: date) -> list[ClosedDay]:
        """Closed days from `start` to `end`, both inclusive, by date."""
        async with connection(self._pool) as conn:
            rows = await conn.fetch(LIST_SQL, center_id, start, end)
        return [ClosedDay(day=r["day"], name=r["name"], source=r["source"]) for r in rows]

    async def add(self, center_id: int, day: date, name: str, actor: Actor | None = None) -> None:
        """Close the center on `day` (an ad-hoc closure); an existing day is renamed.
        `actor` is who the deadline history names (default: the recompute job)."""
        cleaned = _clean_name(name)
        async with connection(self._pool) as conn, conn.transaction():
            await conn.execute(ADD_SQL, center_id, day, cleaned)
            await self._recompute(
                conn, center_id, CalendarChange.holiday_added(day, cleaned), actor
            )

    async def rename(self, center_id: int, day: date, name: str) -> None:
        """Rename a closed day; raises `NoSuchClosedDay` if `day` is not closed."""
        async with connection(self._pool) as conn:
            status = await conn.execute(RENAME_SQL, center_id, day, _clean_name(name))
        if status.endswith(" 0"):
            raise NoSuchClosedDay(f"center {center_id} is not closed on {day.isoformat()}")

    async def remove(self, center_id: int, day: date, actor: Actor | None = None) -> bool:
        """Open the center again on `day`; False if it was not closed."""
        async with connection(self._pool) as conn, conn.transaction():
            rows = await conn.fetch(REMOVE_SQL, center_id, day)
            if rows:
                change = CalendarChange.holiday_removed(day, rows[0]["name"])
                await self._recompute(conn, center_id, change, actor)
        return bool(rows)

    async def seed(self, center_id: int, years: Sequence[int], seeds: Iterable[HolidaySeed]) -> int:
        """Store `seeds` for each Jalali year in `years` not seeded before; days added.

        A day already closed (an admin's closure) keeps its name and source.
        """
        by_year: dict[int, list[HolidaySeed]] = {year: [] for year in years}
        for seed in seeds:
            by_year.get(jalali_year_of(seed.day), []).append(seed)
        added: list[date] = []
        async with connection(self._pool) as conn, conn.transaction():
            for year, days in sorted(by_year.items()):
                if await conn.fetchval(CLAIM_SEED_SQL, center_id, year) is None:
                    continue  # seeded before: admins own the calendar of that year now
                count = 0
                for seed in days:
                    day = await conn.fetchval(
                        SEED_DAY_SQL, center_id, seed.day, seed.name, seed.source
                    )
                    if day is not None:
                        added.append(day)
                        count += 1
                await conn.execute(SEED_COUNT_SQL, center_id, year, count)
            if added:
                change = CalendarChange.holidays_seeded(tuple(added))
                await self._recompute(conn, center_id, change, None)
        return len(added)

    async def seed_iran_holidays(self, center_id: int, years: Sequence[int]) -> int:
        """Seed Iran's public holidays for the Jalali `years`; idempotent. Days added."""
        return await self.seed(center_id, years, iran_holidays(years))


def current_and_next_jalali_year(today: date) -> tuple[int, int]:
    """The Jalali year of local date `today` and the one after (what seeding covers)."""
    year = jalali_year_of(today)
    return year, year + 1


def _clean_name(name: str) -> str:
    cleaned = " ".join(name.split())
    if not cleaned or len(cleaned) > 200:
        raise ValueError("a closed day needs a name of 1..200 characters")
    return cleaned
