"""Job: make sure every center has Iran's public holidays for this and next Jalali year."""

from __future__ import annotations

import logging
from datetime import datetime

from samad_ivr.domain.deadlines import DeadlinePolicy
from samad_ivr.storage.db import Pool
from samad_ivr.storage.deadlines import DeadlineRecomputer
from samad_ivr.storage.holidays import HolidayRepository, current_and_next_jalali_year
from samad_ivr.storage.visits import VisitRepository

log = logging.getLogger(__name__)

__all__ = ["seed_holidays"]


async def seed_holidays(pool: Pool, now: datetime, policy: DeadlinePolicy | None = None) -> int:
    """Seed each center's closed days for the current and next Jalali year (as of `now`
    in the center's zone).  Idempotent: a year is seeded once, then admins own it.
    With the installation's deadline `policy`, the deadlines the new holidays move are
    recomputed in the seeding transaction."""
    deadlines = None if policy is None else DeadlineRecomputer(pool, policy)
    holidays = HolidayRepository(pool, deadlines)
    added = 0
    for center in await VisitRepository(pool).centers():
        years = current_and_next_jalali_year(now.astimezone(center.tz).date())
        added += await holidays.seed_iran_holidays(center.id, years)
    if added:
        log.info("seeded %d holidays", added)
    return added
