"""Whose a request, a call or an attachment is: the columns access checks need.

samad_ivr.web.request_access decides with these whether a user may read something,
without loading a whole case file.
"""

from __future__ import annotations

from dataclasses import dataclass

from samad_ivr.storage.casefile import AttachmentMeta, attachment_meta
from samad_ivr.storage.db import Pool, connection

__all__ = ["AttachmentRef", "Scope", "ScopeRepository"]


ATTACHMENT_SQL = """
SELECT f.id, f.answer_id, f.filename, f.content_type, f.size_bytes, f.sha256, f.created_at,
       f.request_id, r.center_id, r.agency_id
FROM answer_attachments f JOIN requests r ON r.id = f.request_id
WHERE f.id = $1
"""
CALL_SCOPE_SQL = """
SELECT c.center_id, r.agency_id FROM calls c LEFT JOIN requests r ON r.call_id = c.id
WHERE c.id = $1
"""
REQUEST_SCOPE_SQL = "SELECT center_id, agency_id FROM requests WHERE id = $1"


@dataclass(frozen=True, slots=True)
class Scope:
    """Whose a request (or call) is: its province and the agency it is assigned to."""

    center_id: int | None
    agency_id: int | None


@dataclass(frozen=True, slots=True)
class AttachmentRef:
    meta: AttachmentMeta
    request_id: int
    scope: Scope


class ScopeRepository:
    def __init__(self, pool: Pool) -> None:
        self._pool = pool

    async def of_request(self, request_id: int) -> Scope | None:
        async with connection(self._pool) as conn:
            r = await conn.fetchrow(REQUEST_SCOPE_SQL, request_id)
        return None if r is None else Scope(r["center_id"], r["agency_id"])

    async def of_call(self, call_id: int) -> Scope | None:
        async with connection(self._pool) as conn:
            r = await conn.fetchrow(CALL_SCOPE_SQL, call_id)
        return None if r is None else Scope(r["center_id"], r["agency_id"])

    async def attachment(self, attachment_id: int) -> AttachmentRef | None:
        async with connection(self._pool) as conn:
            r = await conn.fetchrow(ATTACHMENT_SQL, attachment_id)
        if r is None:
            return None
        return AttachmentRef(
            attachment_meta(r), r["request_id"], Scope(r["center_id"], r["agency_id"])
        )
