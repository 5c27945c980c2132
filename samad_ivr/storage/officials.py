"""Officials of a center: the people on the duty roster, with desk, mobile and deputy."""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg

from samad_ivr.storage.audit_actor import audited
from samad_ivr.storage.db import Pool, StorageError, connection

_COLUMNS = """
o.id, o.name, o.title, o.agency_id, a.name AS agency_name, o.desk_endpoint, o.mobile,
o.deputy_id, d.name AS deputy_name, o.prompt_source
"""

LIST_OFFICIALS_SQL = f"""
SELECT {_COLUMNS}
FROM officials o
LEFT JOIN agencies a ON a.id = o.agency_id
LEFT JOIN officials d ON d.id = o.deputy_id
WHERE o.center_id = $1
ORDER BY o.name, o.id
"""

GET_OFFICIAL_SQL = f"""
SELECT {_COLUMNS}
FROM officials o
LEFT JOIN agencies a ON a.id = o.agency_id
LEFT JOIN officials d ON d.id = o.deputy_id
WHERE o.center_id = $1 AND o.id = $2
"""

CREATE_OFFICIAL_SQL = """
INSERT INTO officials (center_id, name, title, agency_id, desk_endpoint, mobile, deputy_id)
VALUES ($1, $2, $3, $4, $5, $6, $7)
RETURNING id
"""

UPDATE_OFFICIAL_SQL = """
UPDATE officials
SET name = $3, title = $4, agency_id = $5, desk_endpoint = $6, mobile = $7, deputy_id = $8
WHERE center_id = $1 AND id = $2
"""

DELETE_OFFICIAL_SQL = "DELETE FROM officials WHERE center_id = $1 AND id = $2"

SET_PROMPT_SOURCE_SQL = "UPDATE officials SET prompt_source = $2 WHERE id = $1"


class OfficialError(StorageError):
    """Base of the official repository's errors."""


# A CHECK, a foreign key, or the desk of another center (0021's trigger,
# constraint name officials_desk_one_center) refused the row.
_REJECTED = (
    asyncpg.CheckViolationError,
    asyncpg.ForeignKeyViolationError,
    asyncpg.UniqueViolationError,
)


class OfficialRejected(OfficialError, ValueError):
    """A table constraint refused the data (``constraint`` names which)."""

    def __init__(self, constraint: str | None) -> None:
        super().__init__(f"official rejected by {constraint}")
        self.constraint = constraint


class OfficialInUse(OfficialError):
    """Duty slots, calls or requests still refer to the official."""


@dataclass(frozen=True, slots=True)
class OfficialData:
    """What an admin edits; already validated and normalised (mobile in E.164)."""

    name: str
    title: str
    agency_id: int | None
    desk_endpoint: str
    mobile: str | None
    deputy_id: int | None


@dataclass(frozen=True, slots=True)
class OfficialInfo:
    id: int
    name: str
    title: str
    agency_id: int | None
    agency_name: str | None
    desk_endpoint: str
    mobile: str | None
    deputy_id: int | None
    deputy_name: str | None
    prompt_source: str | None

    @property
    def data(self) -> OfficialData:
        return OfficialData(
            self.name, self.title, self.agency_id, self.desk_endpoint, self.mobile, self.deputy_id
        )


def _info(r: asyncpg.Record) -> OfficialInfo:
    return OfficialInfo(
        id=r["id"],
        name=r["name"],
        title=r["title"],
        agency_id=r["agency_id"],
        agency_name=r["agency_name"],
        desk_endpoint=r["desk_endpoint"],
        mobile=r["mobile"],
        deputy_id=r["deputy_id"],
        deputy_name=r["deputy_name"],
        prompt_source=r["prompt_source"],
    )


def _args(data: OfficialData) -> tuple[object, ...]:
    return (
        data.name, data.title, data.agency_id, data.desk_endpoint, data.mobile, data.deputy_id
    )  # fmt: skip


class OfficialRepository:
    def __init__(self, pool: Pool) -> None:
        self._pool = pool

    async def list(self, center_id: int) -> list[OfficialInfo]:
        async with connection(self._pool) as conn:
            rows = await conn.fetch(LIST_OFFICIALS_SQL, center_id)
        return [_info(r) for r in rows]

    async def get(self, center_id: int, official_id: int) -> OfficialInfo | None:
        async with connection(self._pool) as conn:
            r = await conn.fetchrow(GET_OFFICIAL_SQL, center_id, official_id)
        return None if r is None else _info(r)

    async def create(self, center_id: int, data: OfficialData) -> int:
        try:
            async with audited(self._pool) as conn:
                return int(await conn.fetchval(CREATE_OFFICIAL_SQL, center_id, *_args(data)))
        except _REJECTED as exc:
            raise OfficialRejected(exc.constraint_name) from exc

    async def update(self, center_id: int, official_id: int, data: OfficialData) -> bool:
        """False when the center has no such official."""
        try:
            async with audited(self._pool) as conn:
                status = await conn.execute(
                    UPDATE_OFFICIAL_SQL, center_id, official_id, *_args(data)
                )
        except _REJECTED as exc:
            raise OfficialRejected(exc.constraint_name) from exc
        return status.endswith(" 1")

    async def delete(self, center_id: int, official_id: int) -> bool:
        try:
            async with audited(self._pool) as conn:
                status = await conn.execute(DELETE_OFFICIAL_SQL, center_id, official_id)
        except asyncpg.ForeignKeyViolationError as exc:
            raise OfficialInUse(str(official_id)) from exc
        return status.endswith(" 1")

    async def set_prompt_source(self, official_id: int, source: str) -> None:
        async with audited(self._pool) as conn:
            await conn.execute(SET_PROMPT_SOURCE_SQL, official_id, source)
