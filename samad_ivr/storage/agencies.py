"""Agencies of a center (the bodies that must answer citizens' requests), their contact
mobile (reminders go there by SMS) and their staff accounts (role `agency_staff`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import asyncpg

from samad_ivr.storage.audit_actor import audited
from samad_ivr.storage.db import Pool, StorageError, connection

_AGENCY_COLUMNS = """
a.id, a.name, a.contact_mobile,
(SELECT count(*) FROM officials o WHERE o.agency_id = a.id) AS officials,
(SELECT count(*) FROM users u
 WHERE u.agency_id = a.id AND u.role = 'agency_staff' AND u.is_active) AS staff
"""
LIST_AGENCIES_SQL = f"""
SELECT {_AGENCY_COLUMNS} FROM agencies a WHERE a.center_id = $1 ORDER BY a.name, a.id
"""

GET_AGENCY_SQL = f"SELECT {_AGENCY_COLUMNS} FROM agencies a WHERE a.center_id = $1 AND a.id = $2"
FIND_AGENCY_SQL = """
SELECT id FROM agencies
WHERE center_id = $1 AND (id::text = $2 OR name = $2)
ORDER BY (id::text = $2) DESC LIMIT 2
"""
SET_CONTACT_SQL = "UPDATE agencies SET contact_mobile = $3 WHERE center_id = $1 AND id = $2"

STAFF_SQL = """
SELECT u.id, u.username, u.full_name, u.is_active, u.created_at
FROM users u
WHERE u.center_id = $1 AND u.agency_id = $2 AND u.role = 'agency_staff'
ORDER BY u.is_active DESC, u.username
"""
STAFF_MEMBER_SQL = """
SELECT u.id FROM users u
WHERE u.center_id = $1 AND u.agency_id = $2 AND u.role = 'agency_staff' AND u.id = $3
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
    contact_mobile: str | None = None  # E.164, always a mobile
    staff: int = 0  # active staff accounts


@dataclass(frozen=True, slots=True)
class StaffAccount:
    id: int
    username: str
    full_name: str
    active: bool
    created_at: datetime


def _agency(r: asyncpg.Record) -> Agency:
    return Agency(r["id"], r["name"], r["officials"], r["contact_mobile"], r["staff"])


class AgencyRepository:
    def __init__(self, pool: Pool) -> None:
        self._pool = pool

    async def list(self, center_id: int) -> list[Agency]:
        async with connection(self._pool) as conn:
            rows = await conn.fetch(LIST_AGENCIES_SQL, center_id)
        return [_agency(r) for r in rows]

    async def get(self, center_id: int, agency_id: int) -> Agency | None:
        async with connection(self._pool) as conn:
            r = await conn.fetchrow(GET_AGENCY_SQL, center_id, agency_id)
        return None if r is None else _agency(r)

    async def find(self, center_id: int, id_or_name: str) -> int | None:
        """The agency of the center with that id or exact name; None when none or two."""
        async with connection(self._pool) as conn:
            rows = await conn.fetch(FIND_AGENCY_SQL, center_id, id_or_name)
        if len(rows) == 1 or (rows and str(rows[0]["id"]) == id_or_name):
            return int(rows[0]["id"])
        return None

    async def set_contact_mobile(self, center_id: int, agency_id: int, e164: str | None) -> bool:
        """False when the center has no such agency."""
        async with audited(self._pool) as conn:
            status = await conn.execute(SET_CONTACT_SQL, center_id, agency_id, e164)
        return status.endswith(" 1")

    async def staff(self, center_id: int, agency_id: int) -> tuple[StaffAccount, ...]:
        """The agency's staff accounts, active ones first."""
        async with connection(self._pool) as conn:
            rows = await conn.fetch(STAFF_SQL, center_id, agency_id)
        return tuple(
            StaffAccount(r["id"], r["username"], r["full_name"], r["is_active"], r["created_at"])
            for r in rows
        )

    async def is_staff_of(self, center_id: int, agency_id: int, user_id: int) -> bool:
        async with connection(self._pool) as conn:
            found = await conn.fetchval(STAFF_MEMBER_SQL, center_id, agency_id, user_id)
        return found is not None

    async def create(self, center_id: int, name: str) -> int:
        try:
            async with audited(self._pool) as conn:
                return int(await conn.fetchval(CREATE_AGENCY_SQL, center_id, name))
        except asyncpg.UniqueViolationError as exc:
            raise AgencyExists(name) from exc

    async def rename(self, center_id: int, agency_id: int, name: str) -> bool:
        """False when the center has no such agency."""
        try:
            async with audited(self._pool) as conn:
                status = await conn.execute(RENAME_AGENCY_SQL, center_id, agency_id, name)
        except asyncpg.UniqueViolationError as exc:
            raise AgencyExists(name) from exc
        return status.endswith(" 1")

    async def delete(self, center_id: int, agency_id: int) -> bool:
        """False when the center has no such agency; `AgencyInUse` if it is referred to."""
        try:
            async with audited(self._pool) as conn:
                status = await conn.execute(DELETE_AGENCY_SQL, center_id, agency_id)
        except asyncpg.ForeignKeyViolationError as exc:
            raise AgencyInUse(str(agency_id)) from exc
        return status.endswith(" 1")
