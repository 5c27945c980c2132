"""Agencies of a center (the bodies that must answer citizens' requests)."""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg

from samad_ivr.storage.db import Pool, StorageError, connection

LIST_AGENCIES_SQL = """
SELECT a.id, a.name, count(o.id) AS officials
FROM agencies a LEFT JOIN officials o ON o.agency_id = a.id
WHERE a.center_id = $1
GROUP BY a.id ORDER BY a.name, a.id
"""

GET_AGENCY_SQL = """
SELECT a.id, a.name, (SELECT count(*) FROM officials o WHERE o.agency_id = a.id) AS officials
FROM agencies a WHERE a.center_id = $1 AND a.id = $2
"""

CREATE_AGENCY_SQL = "INSERT INTO agencies (center_id, name) VALUES ($1, $2) RETURNING id"
RENAME_AGENCY_SQL = "UPDATE agencies SET name = $3 WHERE center_id = $1 AND id = $2"
DELETE_AGENCY_SQL = "DELETE FROM agencies WHERE center_id = $1 AND id = $2"


class AgencyError(StorageError):
    """Base of the agency repository's errors."""


class AgencyExists(AgencyError):
    """Another agency of the center already has that name."""


class AgencyInUse(AgencyError):
    """Officials or requests still refer to the agency."""


@dataclass(frozen=True, slots=True)
class Agency:
    id: int
    name: str
    officials: int


class AgencyRepository:
    def __init__(self, pool: Pool) -> None:
        self._pool = pool

    async def list(self, center_id: int) -> list[Agency]:
        async with connection(self._pool) as conn:
            rows = await conn.fetch(LIST_AGENCIES_SQL, center_id)
        return [Agency(r["id"], r["name"], r["officials"]) for r in rows]

    async def get(self, center_id: int, agency_id: int) -> Agency | None:
        async with connection(self._pool) as conn:
            r = await conn.fetchrow(GET_AGENCY_SQL, center_id, agency_id)
        return None if r is None else Agency(r["id"], r["name"], r["officials"])

    async def create(self, center_id: int, name: str) -> int:
        try:
            async with connection(self._pool) as conn:
                return int(await conn.fetchval(CREATE_AGENCY_SQL, center_id, name))
        except asyncpg.UniqueViolationError as exc:
            raise AgencyExists(name) from exc

    async def rename(self, center_id: int, agency_id: int, name: str) -> bool:
        """False when the center has no such agency."""
        try:
            async with connection(self._pool) as conn:
                status = await conn.execute(RENAME_AGENCY_SQL, center_id, agency_id, name)
        except asyncpg.UniqueViolationError as exc:
            raise AgencyExists(name) from exc
        return status.endswith(" 1")

    async def delete(self, center_id: int, agency_id: int) -> bool:
        """False when the center has no such agency; `AgencyInUse` if it is referred to."""
        try:
            async with connection(self._pool) as conn:
                status = await conn.execute(DELETE_AGENCY_SQL, center_id, agency_id)
        except asyncpg.ForeignKeyViolationError as exc:
            raise AgencyInUse(str(agency_id)) from exc
        return status.endswith(" 1")
