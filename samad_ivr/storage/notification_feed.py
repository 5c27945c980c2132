"""The admin console's view of `admin_notifications`: newest first, scoped to a province.

Writers (`sms/notifications.py`, `jobs/visit_warnings.py`) have no center column, so
the province a row belongs to is read from how it is written:

- a center's row has its center code as the second `:`-separated field of `dedup_key`
  (`four_visits:<code>:<official>:<year>:<week>`) or a subject starting with
  `<center name>:` (`همدان: خطر نرسیدن به چهار حضور سالانه — ...`);
- a row that names no center in either way is global (SMS gateway credit, failed or
  capped SMS): every province admin sees it, but only a superuser acknowledges it,
  since acknowledging is shared by everyone.

A province admin sees their center's rows and the global ones; a superuser sees all.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

import asyncpg

from samad_ivr.storage.db import Pool, connection

# Whether a row names `c` (a center): by code in the dedup key or by name in the subject.
_NAMES_CENTER = """(
    (c.code <> '' AND split_part(coalesce(n.dedup_key, ''), ':', 2) = c.code)
    OR (c.name <> '' AND left(n.subject, length(c.name) + 1) = c.name || ':'))"""

# $1: the viewer's center id, NULL for a superuser (sees everything).
_SCOPED = f"""
SELECT n.id, n.kind, n.subject, n.body, n.created_at, n.acknowledged_at, n.acknowledged_by,
       CASE
         WHEN EXISTS (SELECT 1 FROM centers c WHERE c.id = $1 AND {_NAMES_CENTER}) THEN 'own'
         WHEN EXISTS (SELECT 1 FROM centers c WHERE {_NAMES_CENTER}) THEN 'other'
         ELSE 'global'
       END AS scope
FROM admin_notifications n
"""

PAGE_SQL = f"""
SELECT * FROM ({_SCOPED}) s
WHERE $1::int IS NULL OR s.scope <> 'other'
ORDER BY s.created_at DESC, s.id DESC
LIMIT $2 OFFSET $3
"""

GET_SQL = f"SELECT * FROM ({_SCOPED} WHERE n.id = $2) s"


class Scope(StrEnum):
    OWN = "own"  # names the viewer's center
    OTHER = "other"  # names another center
    GLOBAL = "global"  # names no center


@dataclass(frozen=True, slots=True)
class FeedItem:
    id: int
    kind: str
    subject: str
    body: str
    created_at: datetime
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    scope: Scope


@dataclass(frozen=True, slots=True)
class FeedPage:
    items: list[FeedItem]
    has_next: bool


def _item(r: asyncpg.Record) -> FeedItem:
    return FeedItem(
        id=r["id"],
        kind=r["kind"],
        subject=r["subject"],
        body=r["body"],
        created_at=r["created_at"],
        acknowledged_at=r["acknowledged_at"],
        acknowledged_by=r["acknowledged_by"],
        scope=Scope(r["scope"]),
    )


class NotificationFeed:
    def __init__(self, pool: Pool) -> None:
        self._pool = pool

    async def page(self, center_id: int | None, limit: int, offset: int) -> FeedPage:
        """Rows `center_id`'s admin may see (all when None), newest first."""
        async with connection(self._pool) as conn:
            rows = await conn.fetch(PAGE_SQL, center_id, limit + 1, offset)
        return FeedPage([_item(r) for r in rows[:limit]], has_next=len(rows) > limit)

    async def get(self, center_id: int | None, notification_id: int) -> FeedItem | None:
        """One row with its scope as seen from `center_id` (None: a superuser)."""
        async with connection(self._pool) as conn:
            r = await conn.fetchrow(GET_SQL, center_id, notification_id)
        return None if r is None else _item(r)
