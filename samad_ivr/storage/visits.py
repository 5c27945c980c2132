"""What the four-visits report needs for one center and Jalali year, as domain values."""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo

from samad_ivr.domain.roster import CenterCalendar
from samad_ivr.domain.visits import AnsweredCall, OfficialRef, Session, jalali_year_bounds
from samad_ivr.storage.db import Pool, connection

__all__ = ["CenterRef", "VisitInputs", "VisitRepository"]

CENTERS_SQL = """
SELECT id, code, name, timezone, weekend_days FROM centers ORDER BY code
"""

OFFICIALS_SQL = """
SELECT o.id, o.name, o.title, COALESCE(a.name, '') AS agency
FROM officials o LEFT JOIN agencies a ON a.id = o.agency_id
WHERE o.center_id = $1
ORDER BY o.name, o.id
"""

# Sessions of the year: by local start date, which lies inside [$2, $3) exactly when the
# start instant does (the bounds are local midnights).
SESSIONS_SQL = """
SELECT id, official_id, starts_at, ends_at FROM duty_slots
WHERE center_id = $1 AND starts_at >= $2 AND starts_at < $3
ORDER BY starts_at, id
"""

# At most one answered call per session is enough to prove attendance; the join keeps
# the rows bounded by the number of sessions, not by the number of calls.
ATTENDANCE_CALLS_SQL = """
SELECT DISTINCT ON (s.id) c.official_id, c.answered_at
FROM duty_slots s
JOIN calls c ON c.official_id = s.official_id
            AND c.disposition = 'answered'
            AND c.answered_at >= s.starts_at AND c.answered_at < s.ends_at
WHERE s.center_id = $1 AND s.starts_at >= $2 AND s.starts_at < $3
ORDER BY s.id, c.answered_at
"""

CLOSED_DAYS_SQL = """
SELECT day FROM closed_days WHERE center_id = $1 AND day >= $2 AND day < $3
"""


@dataclass(frozen=True, slots=True)
class CenterRef:
    id: int
    code: str
    name: str
    tz: ZoneInfo
    weekend: frozenset[int]


@dataclass(frozen=True, slots=True)
class VisitInputs:
    center: CenterRef
    year: int
    officials: tuple[OfficialRef, ...]
    sessions: tuple[Session, ...]
    calls: tuple[AnsweredCall, ...]
    calendar: CenterCalendar


class VisitRepository:
    def __init__(self, pool: Pool) -> None:
        self._pool = pool

    async def centers(self) -> list[CenterRef]:
        """Every center, by code."""
        async with connection(self._pool) as conn:
            rows = await conn.fetch(CENTERS_SQL)
        return [
            CenterRef(
                id=r["id"],
                code=r["code"],
                name=r["name"],
                tz=ZoneInfo(r["timezone"]),
                weekend=frozenset(r["weekend_days"]),
            )
            for r in rows
        ]

    async def find_center(self, code: str) -> CenterRef | None:
        return next((c for c in await self.centers() if c.code == code), None)

    async def load(self, center: CenterRef, year: int) -> VisitInputs:
        """Officials, sessions, attendance-proving calls and closed days of Jalali `year`."""
        start, end = jalali_year_bounds(year, center.tz)
        async with connection(self._pool) as conn:
            officials = await conn.fetch(OFFICIALS_SQL, center.id)
            sessions = await conn.fetch(SESSIONS_SQL, center.id, start, end)
            calls = await conn.fetch(ATTENDANCE_CALLS_SQL, center.id, start, end)
            closed = await conn.fetch(CLOSED_DAYS_SQL, center.id, start.date(), end.date())
        return VisitInputs(
            center=center,
            year=year,
            officials=tuple(
                OfficialRef(id=r["id"], name=r["name"], title=r["title"], agency=r["agency"])
                for r in officials
            ),
            sessions=tuple(
                Session(
                    slot_id=r["id"],
                    official_id=r["official_id"],
                    starts_at=r["starts_at"],
                    ends_at=r["ends_at"],
                )
                for r in sessions
            ),
            calls=tuple(
                AnsweredCall(official_id=r["official_id"], answered_at=r["answered_at"])
                for r in calls
            ),
            calendar=CenterCalendar(
                tz=center.tz,
                closed_days=frozenset(r["day"] for r in closed),
                weekend=center.weekend,
            ),
        )
