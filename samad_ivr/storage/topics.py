"""Topics of a center (employment, housing, ...): admin-edited, never deleted.

Requests refer to a topic by (center_id, code) (migrations/0009_lifecycle.sql), so a topic
is retired rather than removed and its name keeps showing on the requests that carry it.
Writes check against the database; pages read names through `TopicCatalog`, a copy a few
seconds old at most (the admin's own edits drop it at once).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

import asyncpg

from samad_ivr.storage.db import Pool, PoolConnection, StorageError, connection

CODE_RE = re.compile(r"[a-z][a-z0-9_]{1,39}")
MAX_NAME = 200
CACHE_SECONDS = 30.0

_COLUMNS = "center_id, code, name, position, active"
LIST_SQL = f"SELECT {_COLUMNS} FROM topics WHERE center_id = $1 ORDER BY position, name, code"
GET_SQL = f"SELECT {_COLUMNS} FROM topics WHERE center_id = $1 AND code = $2"
# One name per code for pages that span centers (the national search): the seeded codes
# mean the same everywhere; an active topic's name wins over a retired one's.
LABELS_SQL = """
SELECT DISTINCT ON (code) code, name FROM topics ORDER BY code, active DESC, center_id
"""
INSERT_SQL = "INSERT INTO topics (center_id, code, name, position) VALUES ($1, $2, $3, 0)"
# «Other» stays last when it is last: new topics go just before it.
LAST_CODE = "other"
GENERATED_CODES_SQL = r"""
SELECT code FROM topics WHERE center_id = $1 AND code ~ '^topic_[0-9]{1,9}$'
"""
RENAME_SQL = "UPDATE topics SET name = $3 WHERE center_id = $1 AND code = $2"
SET_ACTIVE_SQL = "UPDATE topics SET active = $3 WHERE center_id = $1 AND code = $2"
LOCK_CENTER_TOPICS_SQL = "SELECT code FROM topics WHERE center_id = $1 FOR UPDATE"
SET_POSITION_SQL = "UPDATE topics SET position = $3 WHERE center_id = $1 AND code = $2"


class TopicError(StorageError):
    """Base of the topic repository's errors; `message_fa` is for pages."""

    message_fa = "موضوع ذخیره نشد."


class TopicExists(TopicError):
    message_fa = "موضوعی با این نام یا رمز در این مرکز هست."


class TopicNotFound(TopicError, LookupError):
    message_fa = "این موضوع در این مرکز پیدا نشد."


@dataclass(frozen=True, slots=True)
class Topic:
    center_id: int
    code: str
    name: str
    position: int
    active: bool


def _topic(r: asyncpg.Record) -> Topic:
    return Topic(r["center_id"], r["code"], r["name"], r["position"], r["active"])


def next_generated_code(taken: Iterable[str]) -> str:
    """`topic_<n>` one above the highest generated code in use."""
    numbers = [int(code.removeprefix("topic_")) for code in taken]
    return f"topic_{max(numbers, default=0) + 1}"


async def _renumber(conn: PoolConnection, center_id: int, order: list[str]) -> None:
    """Positions 1..n in the order given."""
    await conn.executemany(
        SET_POSITION_SQL, [(center_id, c, n) for n, c in enumerate(order, start=1)]
    )


class TopicRepository:
    def __init__(self, pool: Pool) -> None:
        self._pool = pool

    async def list(self, center_id: int) -> list[Topic]:
        """Every topic of the center, retired ones too, in the admin's order."""
        async with connection(self._pool) as conn:
            return [_topic(r) for r in await conn.fetch(LIST_SQL, center_id)]

    async def get(self, center_id: int, code: str) -> Topic | None:
        if not CODE_RE.fullmatch(code):
            return None
        async with connection(self._pool) as conn:
            r = await conn.fetchrow(GET_SQL, center_id, code)
        return None if r is None else _topic(r)

    async def labels(self) -> dict[str, str]:
        """code -> name over every center (for pages that span provinces)."""
        async with connection(self._pool) as conn:
            return {r["code"]: r["name"] for r in await conn.fetch(LABELS_SQL)}

    async def add(self, center_id: int, name: str, code: str | None = None) -> str:
        """A new active topic at the end of the list (before «other» when that is last);
        returns its code."""
        if code is not None and not CODE_RE.fullmatch(code):
            raise ValueError(f"topic code {code!r} is not lowercase latin")
        async with connection(self._pool) as conn, conn.transaction():
            # Serialise additions to one center so two generated codes never collide.
            await conn.fetch(LOCK_CENTER_TOPICS_SQL, center_id)
            if code is None:
                taken = [r["code"] for r in await conn.fetch(GENERATED_CODES_SQL, center_id)]
                code = next_generated_code(taken)
            order = [r["code"] for r in await conn.fetch(LIST_SQL, center_id)]
            try:
                await conn.execute(INSERT_SQL, center_id, code, name)
            except asyncpg.UniqueViolationError as exc:
                raise TopicExists(name) from exc
            at = len(order) - 1 if order and order[-1] == LAST_CODE else len(order)
            order.insert(at, code)
            await _renumber(conn, center_id, order)
        return code

    async def rename(self, center_id: int, code: str, name: str) -> None:
        try:
            async with connection(self._pool) as conn:
                status = await conn.execute(RENAME_SQL, center_id, code, name)
        except asyncpg.UniqueViolationError as exc:
            raise TopicExists(name) from exc
        if not status.endswith(" 1"):
            raise TopicNotFound(code)

    async def set_active(self, center_id: int, code: str, active: bool) -> None:
        """Retire (False) or bring back (True); requests keep their topic either way."""
        async with connection(self._pool) as conn:
            status = await conn.execute(SET_ACTIVE_SQL, center_id, code, active)
        if not status.endswith(" 1"):
            raise TopicNotFound(code)

    async def move(self, center_id: int, code: str, step: int) -> None:
        """Move the topic `step` places (-1 up, +1 down); positions become 1..n."""
        async with connection(self._pool) as conn, conn.transaction():
            await conn.fetch(LOCK_CENTER_TOPICS_SQL, center_id)
            order = [r["code"] for r in await conn.fetch(LIST_SQL, center_id)]
            if code not in order:
                raise TopicNotFound(code)
            i = order.index(code)
            j = min(max(i + step, 0), len(order) - 1)
            order.insert(j, order.pop(i))
            await _renumber(conn, center_id, order)


class TopicCatalog:
    """Topic names for pages, per center and country-wide, cached for `ttl` seconds."""

    def __init__(
        self,
        repository: TopicRepository,
        ttl: float = CACHE_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._repository = repository
        self._ttl = ttl
        self._clock = clock
        self._centers: dict[int, tuple[float, tuple[Topic, ...]]] = {}
        self._labels: tuple[float, dict[str, str]] | None = None

    @property
    def repository(self) -> TopicRepository:
        return self._repository

    async def topics(self, center_id: int) -> tuple[Topic, ...]:
        cached = self._centers.get(center_id)
        if cached is not None and self._clock() - cached[0] < self._ttl:
            return cached[1]
        topics = tuple(await self._repository.list(center_id))
        self._centers[center_id] = (self._clock(), topics)
        return topics

    async def active(self, center_id: int) -> tuple[Topic, ...]:
        """The topics a request can be given now, in the admin's order."""
        return tuple(t for t in await self.topics(center_id) if t.active)

    async def names(self, center_id: int) -> Mapping[str, str]:
        """code -> name, retired topics included (old requests still show theirs)."""
        return {t.code: t.name for t in await self.topics(center_id)}

    async def labels(self) -> Mapping[str, str]:
        """code -> name over every center."""
        if self._labels is not None and self._clock() - self._labels[0] < self._ttl:
            return self._labels[1]
        labels = await self._repository.labels()
        self._labels = (self._clock(), labels)
        return labels

    def forget(self, center_id: int) -> None:
        """Drop the copies after an edit of `center_id`'s topics."""
        self._centers.pop(center_id, None)
        self._labels = None
