"""The roster audit trail: who changed which center's roster, when, from what to what."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from samad_ivr.storage.db import AnyConnection, Pool, connection

INSERT_AUDIT_SQL = """
INSERT INTO roster_audit (user_id, username, center_id, action, before, after)
VALUES ($1, $2, $3, $4, $5::jsonb, $6::jsonb)
"""

LIST_AUDIT_SQL = """
SELECT id, at, user_id, username, center_id, action, before::text AS before,
       after::text AS after
FROM roster_audit WHERE center_id = $1
ORDER BY at DESC, id DESC
LIMIT $2 OFFSET $3
"""

COUNT_AUDIT_SQL = "SELECT count(*) FROM roster_audit WHERE center_id = $1"

ACTIONS = frozenset(
    {
        "slot_create", "slot_move", "slot_delete", "slot_repeat", "slot_import",
        "holiday_add", "holiday_remove", "holiday_rename", "weekend_set", "duty_window_set",
        "center_create",
    }
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Actor:
    """Who made a change, as the audit remembers them."""

    user_id: int | None
    username: str | None


@dataclass(frozen=True, slots=True)
class AuditEntry:
    id: int
    at: datetime
    user_id: int | None
    username: str | None
    center_id: int
    action: str
    before: Any
    after: Any


def _json(value: object) -> str | None:
    return None if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True)


async def record(
    conn: AnyConnection,
    actor: Actor,
    center_id: int,
    action: str,
    before: object = None,
    after: object = None,
) -> None:
    """Write one audit row on ``conn``, inside the caller's transaction."""
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    await conn.execute(
        INSERT_AUDIT_SQL,
        actor.user_id,
        actor.username,
        center_id,
        action,
        _json(before),
        _json(after),
    )


class AuditRepository:
    def __init__(self, pool: Pool) -> None:
        self._pool = pool

    async def record(
        self, actor: Actor, center_id: int, action: str, before: object, after: object
    ) -> None:
        async with connection(self._pool) as conn:
            await record(conn, actor, center_id, action, before, after)

    async def entries(self, center_id: int, limit: int = 100, offset: int = 0) -> list[AuditEntry]:
        """Newest first."""
        async with connection(self._pool) as conn:
            rows = await conn.fetch(LIST_AUDIT_SQL, center_id, limit, offset)
        return [
            AuditEntry(
                id=r["id"],
                at=r["at"],
                user_id=r["user_id"],
                username=r["username"],
                center_id=r["center_id"],
                action=r["action"],
                before=None if r["before"] is None else json.loads(r["before"]),
                after=None if r["after"] is None else json.loads(r["after"]),
            )
            for r in rows
        ]

    async def count(self, center_id: int) -> int:
        async with connection(self._pool) as conn:
            return int(await conn.fetchval(COUNT_AUDIT_SQL, center_id))
