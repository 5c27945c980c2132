"""Creating a province's center (superusers only: the console and `samad-ivr center add`).

One transaction inserts the center and its audit row; the centers_topics trigger of
migration 0009 seeds the source document's topics in it.  Iran's public holidays of the
current and next Jalali year are seeded right after (as the daily job would).  A code or
queue already in use is `CenterExists`: two centers never share a queue.
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import asyncpg

from samad_ivr.admin.new_center import NewCenter
from samad_ivr.storage import audit
from samad_ivr.storage.audit import Actor
from samad_ivr.storage.db import Pool, StorageError, connection
from samad_ivr.storage.holidays import HolidayRepository, current_and_next_jalali_year

__all__ = ["QUEUES_SQL", "CenterExists", "CenterRepository"]

# Serialises creations so the code/queue check and the insert cannot interleave.
LOCK_SQL = "LOCK TABLE centers IN SHARE ROW EXCLUSIVE MODE"
TAKEN_SQL = "SELECT code, queue_name FROM centers WHERE code = $1 OR queue_name = $2 LIMIT 1"
INSERT_SQL = """
INSERT INTO centers (code, name, timezone, duty_start, duty_end, weekend_days, queue_name)
VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id
"""
QUEUES_SQL = "SELECT queue_name FROM centers ORDER BY id"


class CenterExists(StorageError):
    def __init__(self, message_fa: str) -> None:
        super().__init__(message_fa)
        self.message_fa = message_fa


class CenterRepository:
    def __init__(self, pool: Pool) -> None:
        self._pool = pool

    async def create(self, new: NewCenter, actor: Actor) -> int:
        """The new center's id; its topics and this and next year's holidays are seeded."""
        async with connection(self._pool) as conn, conn.transaction():
            await conn.execute(LOCK_SQL)
            taken = await conn.fetchrow(TAKEN_SQL, new.code, new.queue_name)
            if taken is not None:
                raise CenterExists(
                    f"مرکزی با رمز «{new.code}» هست."
                    if taken["code"] == new.code
                    else f"صف «{new.queue_name}» از آنِ مرکز «{taken['code']}» است."
                )
            args = (new.code, new.name, new.timezone, new.duty_start, new.duty_end)
            try:
                center_id = int(
                    await conn.fetchval(INSERT_SQL, *args, sorted(new.weekend_days), new.queue_name)
                )
            except asyncpg.UniqueViolationError as exc:  # only without the lock's help
                raise CenterExists(f"مرکزی با رمز «{new.code}» هست.") from exc
            await audit.record(conn, actor, center_id, "center_create", None, _as_json(new))
        today = datetime.now(UTC).astimezone(ZoneInfo(new.timezone)).date()
        years = current_and_next_jalali_year(today)
        await HolidayRepository(self._pool).seed_iran_holidays(center_id, years)
        return center_id

    async def queue_names(self) -> list[str]:
        async with connection(self._pool) as conn:
            rows = await conn.fetch(QUEUES_SQL)
        return [str(r["queue_name"]) for r in rows]


def _as_json(new: NewCenter) -> dict[str, object]:
    return {
        "code": new.code, "name": new.name, "timezone": new.timezone,
        "duty_start": str(new.duty_start), "duty_end": str(new.duty_end),
        "weekend_days": sorted(new.weekend_days), "queue_name": new.queue_name,
    }  # fmt: skip
