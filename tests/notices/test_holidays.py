from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from samad_ivr.jobs.holidays import seed_holidays
from samad_ivr.storage.db import Pool
from samad_ivr.storage.holidays import (
    HolidayRepository,
    HolidaySeed,
    NoSuchClosedDay,
    current_and_next_jalali_year,
    iran_holidays,
)
from samad_ivr.storage.roster import RosterRepository

from .conftest import World

NOWRUZ_1404 = date(2025, 3, 21)


def test_iran_holidays_of_1404_start_with_nowruz_and_stay_inside_the_jalali_year() -> None:
    seeds = iran_holidays([1404])
    days = [seed.day for seed in seeds]
    assert NOWRUZ_1404 in days
    assert min(days) >= NOWRUZ_1404
    assert max(days) < date(2026, 3, 21)
    nowruz = next(seed for seed in seeds if seed.day == NOWRUZ_1404)
    assert "نوروز" in nowruz.name
    assert nowruz.source == "holidays"


def test_the_leap_day_1403_12_30_belongs_to_the_seed_of_1403_not_1404() -> None:
    assert date(2025, 3, 20) in {seed.day for seed in iran_holidays([1403])}
    assert date(2025, 3, 20) not in {seed.day for seed in iran_holidays([1404])}


def test_lunar_holidays_the_package_only_estimates_are_marked_estimated() -> None:
    seeds = iran_holidays([1406])
    estimated = [seed for seed in seeds if seed.estimated]
    assert estimated, "the package estimates lunar holidays this far ahead"
    assert all(seed.source == "holidays_estimated" for seed in estimated)
    assert all("تخمینی" in seed.name for seed in estimated)
    nowruz = next(seed for seed in seeds if seed.day == date(2027, 3, 21))
    assert not nowruz.estimated


def test_seeding_covers_the_current_and_next_jalali_year() -> None:
    assert current_and_next_jalali_year(date(2025, 3, 20)) == (1403, 1404)
    assert current_and_next_jalali_year(NOWRUZ_1404) == (1404, 1405)


async def test_seeding_twice_adds_nothing_the_second_time(db_pool: Pool, world: World) -> None:
    repo = HolidayRepository(db_pool)
    first = await repo.seed_iran_holidays(world.center_id, [1404, 1405])
    second = await repo.seed_iran_holidays(world.center_id, [1404, 1405])
    assert first > 20
    assert second == 0
    days = await repo.list_days(world.center_id, date(2025, 3, 21), date(2027, 3, 20))
    assert len(days) == first


async def test_a_day_an_admin_removed_is_not_brought_back_by_a_reseed(
    db_pool: Pool, world: World
) -> None:
    repo = HolidayRepository(db_pool)
    await repo.seed_iran_holidays(world.center_id, [1404])
    assert await repo.remove(world.center_id, NOWRUZ_1404)
    await repo.seed_iran_holidays(world.center_id, [1404])
    days = await repo.list_days(world.center_id, NOWRUZ_1404, NOWRUZ_1404)
    assert days == []


async def test_an_admins_closure_keeps_its_name_when_the_package_has_the_same_day(
    db_pool: Pool, world: World
) -> None:
    repo = HolidayRepository(db_pool)
    await repo.add(world.center_id, NOWRUZ_1404, "تعطیلی به دستور استاندار")
    await repo.seed(world.center_id, [1404], [HolidaySeed(NOWRUZ_1404, "نوروز", estimated=False)])
    (day,) = await repo.list_days(world.center_id, NOWRUZ_1404, NOWRUZ_1404)
    assert (day.name, day.source) == ("تعطیلی به دستور استاندار", "admin")


async def test_renaming_a_seeded_day_makes_it_the_admins(db_pool: Pool, world: World) -> None:
    repo = HolidayRepository(db_pool)
    estimate = HolidaySeed(date(2027, 3, 10), "عید سعید فطر (تخمینی)", estimated=True)
    await repo.seed(world.center_id, [1405], [estimate])
    (before,) = await repo.list_days(world.center_id, estimate.day, estimate.day)
    assert before.source == "holidays_estimated"
    await repo.rename(world.center_id, estimate.day, "  عید سعید فطر  ")
    (after,) = await repo.list_days(world.center_id, estimate.day, estimate.day)
    assert (after.name, after.source) == ("عید سعید فطر", "admin")


async def test_renaming_an_open_day_is_an_error(db_pool: Pool, world: World) -> None:
    with pytest.raises(NoSuchClosedDay):
        await HolidayRepository(db_pool).rename(world.center_id, NOWRUZ_1404, "نوروز")


async def test_removing_an_open_day_reports_false(db_pool: Pool, world: World) -> None:
    assert not await HolidayRepository(db_pool).remove(world.center_id, NOWRUZ_1404)


async def test_seeded_days_close_the_center_for_the_router(db_pool: Pool, world: World) -> None:
    await HolidayRepository(db_pool).seed_iran_holidays(world.center_id, [1404])
    closed = await RosterRepository(db_pool).closed_days(
        world.center_id, NOWRUZ_1404, date(2025, 3, 24)
    )
    assert NOWRUZ_1404 in closed


async def test_a_closed_day_name_must_not_be_blank(db_pool: Pool, world: World) -> None:
    with pytest.raises(ValueError, match="name"):
        await HolidayRepository(db_pool).add(world.center_id, NOWRUZ_1404, "   ")


async def test_the_seeding_job_covers_this_and_next_jalali_year_once(
    db_pool: Pool, world: World
) -> None:
    leap_day_evening = datetime(2025, 3, 20, 19, 0, tzinfo=UTC)  # 22:30 in Tehran, still 1403
    assert await seed_holidays(db_pool, leap_day_evening) > 0
    assert await seed_holidays(db_pool, leap_day_evening) == 0
    years = await db_pool.fetch("SELECT jalali_year FROM holiday_seeds ORDER BY jalali_year")
    assert [r["jalali_year"] for r in years] == [1403, 1404]
