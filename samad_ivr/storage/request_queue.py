"""A center's requests waiting for an agency (oldest first) and those assigned (by
deadline), one keyset page at a time, for the province admin's assignment queue."""

from __future__ import annotations

import re
from dataclasses import dataclass, fields
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum

import asyncpg

from samad_ivr.storage.db import Pool, connection

PAGE_SIZE = 50

_COLUMNS = """
r.id, r.tracking_code, r.created_at, r.caller_e164, r.summary, r.topic, r.agency_id,
r.version, r.status, r.due_on, a.name AS agency_name, t.name AS topic_name,
o.name AS official_name
"""
_FROM = """
FROM requests r
LEFT JOIN agencies a ON a.id = r.agency_id
LEFT JOIN topics t ON t.center_id = r.center_id AND t.code = r.topic
LEFT JOIN officials o ON o.id = r.official_id
"""
REGISTERED_SQL = f"""
SELECT {_COLUMNS} {_FROM}
WHERE r.center_id = $1 AND r.status = 'registered'
  AND ($2::timestamptz IS NULL OR (r.created_at, r.id) > ($2, $3))
ORDER BY r.created_at, r.id LIMIT $4
"""
ASSIGNED_SQL = f"""
SELECT {_COLUMNS} {_FROM}
WHERE r.center_id = $1 AND r.status = 'assigned'
  AND ($2::date IS NULL OR (r.due_on, r.id) > ($2, $3))
ORDER BY r.due_on, r.id LIMIT $4
"""
COUNT_SQL = "SELECT count(*) FROM requests WHERE center_id = $1 AND status = $2"
BY_CODE_SQL = "SELECT id FROM requests WHERE center_id = $1 AND tracking_code = $2"

_CURSOR_RE = re.compile(r"([0-9]{1,19})\.([0-9]{1,19})")


class QueueKind(StrEnum):
    REGISTERED = "registered"  # waiting for an agency, oldest first
    ASSIGNED = "assigned"  # with an agency, nearest deadline first


@dataclass(frozen=True, slots=True)
class QueuedRequest:
    id: int
    tracking_code: str
    created_at: datetime
    caller_e164: str | None
    summary: str | None
    topic: str | None
    topic_name: str | None
    agency_id: int | None
    agency_name: str | None
    official_name: str | None
    version: int
    status: str
    due_on: date | None


@dataclass(frozen=True, slots=True)
class QueueCursor:
    """Where the next page starts: (created_at or due_on, id) of the last row shown."""

    key: int  # microseconds since the epoch (registered) or the date's ordinal (assigned)
    id: int

    def token(self) -> str:
        return f"{self.key}.{self.id}"

    @classmethod
    def parse(cls, token: str) -> QueueCursor | None:
        """None for anything that is not a cursor this module wrote."""
        match = _CURSOR_RE.fullmatch(token)
        return None if match is None else cls(int(match[1]), int(match[2]))


@dataclass(frozen=True, slots=True)
class QueuePage:
    rows: tuple[QueuedRequest, ...]
    next_cursor: QueueCursor | None
    total: int


# The queries select exactly the row's fields, under the same names.
_FIELDS = tuple(f.name for f in fields(QueuedRequest))


def _row(r: asyncpg.Record) -> QueuedRequest:
    return QueuedRequest(**{name: r[name] for name in _FIELDS})


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _cursor_of(kind: QueueKind, row: QueuedRequest) -> QueueCursor:
    if kind is QueueKind.REGISTERED:
        return QueueCursor((row.created_at - _EPOCH) // timedelta(microseconds=1), row.id)
    assert row.due_on is not None
    return QueueCursor(row.due_on.toordinal(), row.id)


def _cursor_args(kind: QueueKind, cursor: QueueCursor | None) -> tuple[object, int]:
    if cursor is None:
        return None, 0
    try:
        if kind is QueueKind.REGISTERED:
            return _EPOCH + timedelta(microseconds=cursor.key), cursor.id
        return date.fromordinal(cursor.key), cursor.id
    except (OverflowError, ValueError):
        # A forged cursor beyond the calendar: past every row, so an empty page.
        return (datetime.max.replace(tzinfo=UTC) if kind is QueueKind.REGISTERED
                else date.max), cursor.id  # fmt: skip


class RequestQueue:
    def __init__(self, pool: Pool) -> None:
        self._pool = pool

    async def page(
        self,
        center_id: int,
        kind: QueueKind,
        cursor: QueueCursor | None = None,
        limit: int = PAGE_SIZE,
    ) -> QueuePage:
        sql = REGISTERED_SQL if kind is QueueKind.REGISTERED else ASSIGNED_SQL
        after, after_id = _cursor_args(kind, cursor)
        async with connection(self._pool) as conn:
            records = await conn.fetch(sql, center_id, after, after_id, limit + 1)
            total = int(await conn.fetchval(COUNT_SQL, center_id, kind.value))
        rows = tuple(_row(r) for r in records[:limit])
        more = len(records) > limit and rows
        return QueuePage(rows, _cursor_of(kind, rows[-1]) if more else None, total)

    async def find_code(self, center_id: int, tracking_code: str) -> int | None:
        """The request of this center with that tracking code."""
        async with connection(self._pool) as conn:
            found = await conn.fetchval(BY_CODE_SQL, center_id, tracking_code)
        return None if found is None else int(found)
