"""Who answers now: the duty roster from the database, with a last-known-good copy.

The domain decides (samad_ivr.domain.roster.decide); this module only loads what it
needs.  A roster read that fails falls back to the last snapshot for up to `stale_limit`
so a database hiccup does not close the hotline; past that the call is routed to a
message, never silently treated as "closed".

A slow database is treated like a down one: the refresh runs as its own task and a call
that holds a usable copy waits for it at most `wait` (SAMAD_ROUTE_WAIT_MS) before
deciding from that copy; calls arriving while a refresh is still running do not wait at
all.  The refresh itself is bounded by the call pool's acquire and statement timeouts.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from samad_ivr.domain.roster import (
    CenterCalendar,
    DutySlot,
    Official,
    RoutingDecision,
    decide,
)
from samad_ivr.storage.db import StorageUnavailable
from samad_ivr.storage.roster import OfficialRow, RosterRepository

log = logging.getLogger(__name__)


class RosterUnavailable(Exception):
    """No roster could be read and no recent copy is at hand."""


@dataclass(frozen=True, slots=True)
class RosterSnapshot:
    center_id: int
    center_code: str
    queue_name: str
    calendar: CenterCalendar
    slots: tuple[DutySlot, ...]
    agency_ids: dict[int, int | None]
    loaded_at: datetime


class RoutingService:
    def __init__(
        self,
        roster: RosterRepository,
        center_code: str,
        *,
        horizon: timedelta = timedelta(days=62),
        fresh_for: timedelta = timedelta(seconds=5),
        stale_limit: timedelta = timedelta(hours=24),
        wait: float | None = None,
    ) -> None:
        self._roster = roster
        self._center_code = center_code
        self._horizon = horizon
        self._fresh_for = fresh_for
        self._stale_limit = stale_limit
        self._wait = wait
        self._snapshot: RosterSnapshot | None = None
        self._refresh: asyncio.Task[RosterSnapshot] | None = None

    async def decide(self, now: datetime) -> tuple[RoutingDecision, RosterSnapshot]:
        snapshot = await self.snapshot(now)
        return decide(now, snapshot.slots, snapshot.calendar), snapshot

    async def snapshot(self, now: datetime) -> RosterSnapshot:
        cached = self._snapshot
        if cached is not None and now - cached.loaded_at < self._fresh_for:
            return cached
        usable = cached is not None and now - cached.loaded_at < self._stale_limit
        refresh = self._refresh
        if refresh is None or refresh.done():
            refresh = self._refresh = asyncio.create_task(self._load(now))
            refresh.add_done_callback(self._loaded)
        elif usable and self._wait is not None:
            refresh = None  # one is already running: decide from the copy at once
        try:
            if refresh is None:
                raise TimeoutError("roster refresh still running")
            async with asyncio.timeout(self._wait if usable else None):
                return await asyncio.shield(refresh)
        except (StorageUnavailable, LookupError, TimeoutError) as exc:
            if cached is not None and usable:
                log.warning("roster unreadable (%s); using the copy from %s", exc, cached.loaded_at)
                return cached
            raise RosterUnavailable(str(exc)) from exc

    def _loaded(self, task: asyncio.Task[RosterSnapshot]) -> None:
        """Keep a finished refresh, whoever still waits for it (maybe no one)."""
        if task.cancelled():
            return
        exc = task.exception()
        if exc is None:
            loaded = task.result()
            if self._snapshot is None or loaded.loaded_at >= self._snapshot.loaded_at:
                self._snapshot = loaded
        elif not isinstance(exc, (StorageUnavailable, LookupError, TimeoutError)):
            log.error("roster refresh failed", exc_info=exc)

    async def _load(self, now: datetime) -> RosterSnapshot:
        center = await self._roster.find_center(self._center_code)
        if center is None:
            raise LookupError(f"no center with code {self._center_code!r}")
        tz = ZoneInfo(center.timezone)
        start, end = now - timedelta(days=1), now + self._horizon
        rows = await self._roster.slots_between(center.id, start, end)
        closed = await self._roster.closed_days(
            center.id, start.astimezone(tz).date(), end.astimezone(tz).date()
        )
        slots = tuple(
            DutySlot(
                id=row.id,
                official=_official(row.official),
                starts_at=row.starts_at,
                ends_at=row.ends_at,
            )
            for row in rows
        )
        agency_ids = {row.official.id: row.official.agency_id for row in rows}
        return RosterSnapshot(
            center_id=center.id,
            center_code=center.code,
            queue_name=center.queue_name,
            calendar=CenterCalendar(
                tz=tz, closed_days=closed, weekend=frozenset(center.weekend_days)
            ),
            slots=slots,
            agency_ids=agency_ids,
            loaded_at=now,
        )


def _official(row: OfficialRow) -> Official:
    return Official(
        id=row.id,
        name=row.name,
        title=row.title,
        agency=row.agency_name or "",
        desk_endpoint=row.desk_endpoint,
        deputy=_official(row.deputy) if row.deputy is not None else None,
    )
