"""Admin notifications: what "tell the admins" means until the console shows them.

Every notification is also logged at ERROR. A `dedup_key` makes a recurring condition
(no credit today, a number over its cap today) notify once.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from samad_ivr.storage.db import Pool, connection

log = logging.getLogger(__name__)

INSERT_SQL = """
INSERT INTO admin_notifications (kind, subject, body, dedup_key) VALUES ($1, $2, $3, $4)
ON CONFLICT (dedup_key) DO NOTHING
RETURNING id
"""

OPEN_SQL = """
SELECT id, kind, subject, body, dedup_key, created_at, acknowledged_at, acknowledged_by
FROM admin_notifications WHERE acknowledged_at IS NULL ORDER BY id LIMIT $1
"""

ACK_SQL = """
UPDATE admin_notifications SET acknowledged_at = now(), acknowledged_by = $2
WHERE id = $1 AND acknowledged_at IS NULL
"""


@dataclass(frozen=True, slots=True)
class AdminNotification:
    id: int
    kind: str
    subject: str
    body: str
    dedup_key: str | None
    created_at: datetime
    acknowledged_at: datetime | None
    acknowledged_by: str | None


class AdminNotifications:
    def __init__(self, pool: Pool) -> None:
        self._pool = pool

    async def notify(
        self, kind: str, subject: str, body: str, *, dedup_key: str | None = None
    ) -> int | None:
        """Store a notification; None if one with `dedup_key` already exists.

        `subject` and `body` must already be masked: they are logged and shown.
        """
        async with connection(self._pool) as conn:
            new_id = await conn.fetchval(INSERT_SQL, kind, subject, body, dedup_key)
        if new_id is not None:
            log.error("admin notification %s [%s]: %s — %s", new_id, kind, subject, body)
        return int(new_id) if new_id is not None else None

    async def open(self, limit: int = 100) -> list[AdminNotification]:
        async with connection(self._pool) as conn:
            rows = await conn.fetch(OPEN_SQL, limit)
        return [
            AdminNotification(
                id=r["id"],
                kind=r["kind"],
                subject=r["subject"],
                body=r["body"],
                dedup_key=r["dedup_key"],
                created_at=r["created_at"],
                acknowledged_at=r["acknowledged_at"],
                acknowledged_by=r["acknowledged_by"],
            )
            for r in rows
        ]

    async def acknowledge(self, notification_id: int, by: str) -> bool:
        async with connection(self._pool) as conn:
            status = await conn.execute(ACK_SQL, notification_id, by)
        return str(status).endswith(" 1")
