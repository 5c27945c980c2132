from __future__ import annotations

from datetime import date, datetime, time, timedelta

import asyncpg
import pytest

from samad_ivr.storage.db import Pool
from samad_ivr.storage.roster import InvalidOfficial, RosterRepository, SlotOverlap, UnknownCenter

from .conftest import T0

H = timedelta(hours=1)


async def test_center_defaults_are_tehran_duty_hours_with_friday_off(
    roster: RosterRepository, center_id: int
) -> None:
    center = await roster.center("hamedan")
    assert center.id == center_id
    assert (center.timezone, center.duty_start, center.duty_end) == (
        "Asia/Tehran",
        time(9),
        time(11),
    )
    assert center.weekend_days == frozenset({4})
    assert center.queue_name == "samad-hamedan"


async def test_ensure_center_is_idempotent_and_unknown_code_raises(
    roster: RosterRepository, center_id: int
) -> None:
    assert await roster.ensure_center("hamedan", "همدان", "q2") == center_id
    assert (await roster.center("hamedan")).queue_name == "q2"
    assert await roster.find_center("nowhere") is None
    with pytest.raises(UnknownCenter):
        await roster.center("nowhere")


async def test_overlapping_slots_of_one_official_are_refused_with_slot_overlap(
    roster: RosterRepository, center_id: int
) -> None:
    governor = await roster.add_official(center_id, "استاندار", "استاندار", None, "PJSIP/desk")
    deputy = await roster.add_official(center_id, "معاون", "معاون", None, "PJSIP/desk2")
    first = await roster.add_slot(center_id, governor, T0, T0 + 2 * H)

    with pytest.raises(SlotOverlap, match=rf"overlaps slot {first} of استاندار"):
        await roster.add_slot(center_id, governor, T0 + H, T0 + 3 * H)

    # several desks: another official of the center may be on duty at the same time
    await roster.add_slot(center_id, deputy, T0 + H, T0 + 3 * H)
    # half-open ranges: back to back is fine, and another center is independent
    await roster.add_slot(center_id, governor, T0 + 2 * H, T0 + 3 * H)
    other = await roster.ensure_center("tehran", "تهران", "samad-tehran")
    official = await roster.add_official(other, "x", "y", None, "PJSIP/t1")
    await roster.add_slot(other, official, T0, T0 + 2 * H)


async def test_slot_must_end_after_it_starts_and_be_timezone_aware(
    roster: RosterRepository, center_id: int
) -> None:
    official = await roster.add_official(center_id, "a", "b", None, "PJSIP/desk")
    with pytest.raises(ValueError, match="end after"):
        await roster.add_slot(center_id, official, T0, T0)
    with pytest.raises(ValueError, match="timezone-aware"):
        await roster.add_slot(center_id, official, datetime(2025, 3, 1, 9), T0 + H)


@pytest.mark.parametrize(
    "endpoint", ["PJSIP/x,Dial(Local/1)", "PJSIP/x)", "PJSIP/a b", "Console/x", "PJSIP/"]
)
async def test_desk_endpoint_with_dialplan_syntax_is_rejected(
    roster: RosterRepository, db_pool: Pool, center_id: int, endpoint: str
) -> None:
    with pytest.raises(InvalidOfficial, match="officials_desk_endpoint_format"):
        await roster.add_official(center_id, "a", "b", None, endpoint)
    with pytest.raises(asyncpg.CheckViolationError):
        await db_pool.execute(
            "INSERT INTO officials (center_id, name, title, desk_endpoint)"
            " VALUES ($1, 'a', 'b', $2)",
            center_id,
            endpoint,
        )


@pytest.mark.parametrize(
    "endpoint", ["PJSIP/desk-1", "SIP/100", "IAX2/peer@host", "Local/100@samad-desk/n"]
)
async def test_plain_desk_endpoints_are_accepted(
    roster: RosterRepository, center_id: int, endpoint: str
) -> None:
    official = await roster.add_official(center_id, "a", "b", None, endpoint)
    assert await roster.find_official_by_desk(center_id, endpoint) == official


async def test_slots_carry_the_official_agency_and_one_level_of_deputy(
    roster: RosterRepository, center_id: int
) -> None:
    agency = await roster.ensure_agency(center_id, "اداره کل راه و شهرسازی")
    assert await roster.ensure_agency(center_id, "اداره کل راه و شهرسازی") == agency
    grand = await roster.add_official(center_id, "معاون دوم", "معاون", None, "PJSIP/d2")
    deputy = await roster.add_official(
        center_id, "معاون", "معاون", agency, "PJSIP/d1", "+989120000001", grand
    )
    boss = await roster.add_official(
        center_id, "مدیرکل", "مدیرکل", agency, "PJSIP/boss", deputy_id=deputy
    )
    later = await roster.add_slot(center_id, boss, T0 + 2 * H, T0 + 3 * H)
    earlier = await roster.add_slot(center_id, deputy, T0, T0 + H)
    await roster.add_slot(center_id, grand, T0 + 5 * H, T0 + 6 * H)

    slots = await roster.slots_between(center_id, T0 + timedelta(minutes=30), T0 + 3 * H)

    assert [s.id for s in slots] == [earlier, later]
    official = slots[1].official
    assert (official.id, official.agency_id, official.agency_name) == (
        boss,
        agency,
        "اداره کل راه و شهرسازی",
    )
    assert official.deputy is not None
    assert (official.deputy.id, official.deputy.mobile) == (deputy, "+989120000001")
    assert official.deputy.deputy is None  # one level only
    assert slots[0].official.deputy is not None
    assert slots[0].official.deputy.agency_name is None
    assert await roster.agency_of(boss) == agency
    assert await roster.agency_of(grand) is None


async def test_closed_days_are_returned_for_an_inclusive_range(
    roster: RosterRepository, center_id: int
) -> None:
    await roster.add_closed_day(center_id, date(2025, 3, 20), "نوروز")
    await roster.add_closed_day(center_id, date(2025, 3, 20), "عید نوروز")
    await roster.add_closed_day(center_id, date(2025, 4, 1), "روز جمهوری اسلامی")
    await roster.add_closed_day(center_id, date(2025, 4, 2), "سیزده بدر")

    days = await roster.closed_days(center_id, date(2025, 3, 20), date(2025, 4, 1))

    assert days == frozenset({date(2025, 3, 20), date(2025, 4, 1)})
