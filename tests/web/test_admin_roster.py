"""The roster calendar pages: create, overlap, move, delete, repeat, audit, Jalali edges."""

from __future__ import annotations

from datetime import datetime

from samad_ivr.storage.audit import ACTIONS, AuditRepository
from samad_ivr.storage.db import Pool
from samad_ivr.storage.roster_edit import RosterEditor

from .test_admin_support import (  # noqa: F401  (fixtures)
    AdminClient,
    World,
    as_role_fixture,
    local,
    post_form,
    settings_fixture,
    web_features_fixture,
    world_fixture,
)


def roster(world: World) -> str:
    return f"/admin/centers/{world.hamedan}/roster"


async def create(client: object, world: World, **fields: str) -> object:
    data = {"official_id": str(world.official_h), "start": "09:00", "end": "11:00", **fields}
    return await post_form(client, roster(world) + "/slots", data, roster(world))  # type: ignore[arg-type]


async def slots_of(db_pool: Pool, world: World) -> list[tuple[datetime, datetime, int]]:
    rows = await RosterEditor(db_pool).slots(world.hamedan, local(2020, 1, 1), local(2030, 1, 1))
    return [(s.starts_at, s.ends_at, s.official_id) for s in rows]


async def test_calendar_of_leap_esfand_shows_day_thirty_in_persian(
    as_role: AdminClient, world: World
) -> None:
    client = await as_role()
    response = await client.get(roster(world) + "?month=۱۴۰۳/۱۲")
    text = await response.text()
    assert response.status == 200
    assert 'dir="rtl"' in text
    assert "اسفند ۱۴۰۳" in text
    assert 'id="d-1403-12-30"' in text
    assert 'data-date="1404-01-01"' in text


async def test_slot_on_leap_day_is_stored_at_tehran_time(
    as_role: AdminClient, world: World, db_pool: Pool
) -> None:
    client = await as_role()
    response = await create(client, world, date="۱۴۰۳/۱۲/۳۰", start="۰۹:۰۰", end="۱۱:۰۰")
    assert response.status == 303, await response.text()
    assert response.headers["Location"].endswith("?month=1403-12&done=slot_created")
    assert await slots_of(db_pool, world) == [
        (local(2025, 3, 20, 9), local(2025, 3, 20, 11), world.official_h)
    ]


async def test_slot_on_new_year_lands_in_farvardin_1404(
    as_role: AdminClient, world: World, db_pool: Pool
) -> None:
    client = await as_role()
    response = await create(client, world, date="1404-01-01")
    assert response.status == 303
    page = await (await client.get(roster(world) + "?month=1404-01")).text()
    assert "فروردین ۱۴۰۴" in page
    assert "۰۹:۰۰–۱۱:۰۰ علی رضایی" in page
    assert (await slots_of(db_pool, world))[0][0] == local(2025, 3, 21, 9)


async def test_nonexistent_jalali_date_is_refused_in_persian(
    as_role: AdminClient, world: World, db_pool: Pool
) -> None:
    client = await as_role()
    response = await create(client, world, date="1404-12-30")  # 1404 is not leap
    assert response.status == 422
    assert "اسفند ۱۴۰۴ ۲۹ روز دارد" in await response.text()
    assert await slots_of(db_pool, world) == []


async def test_overlapping_slot_of_the_same_official_is_refused_with_a_clear_message(
    as_role: AdminClient, world: World, db_pool: Pool
) -> None:
    client = await as_role()
    assert (await create(client, world, date="1404-01-15")).status == 303
    response = await create(client, world, date="1404-01-15", start="10:30", end="12:00")
    text = await response.text()
    assert response.status == 409
    assert "این نوبت با نوبت «علی رضایی» در ۱۴۰۴/۰۱/۱۵ ساعت ۰۹:۰۰ تا ۱۱:۰۰ هم‌پوشانی دارد" in text
    assert len(await slots_of(db_pool, world)) == 1


async def test_a_second_official_may_be_on_duty_at_the_same_time(
    as_role: AdminClient, world: World, db_pool: Pool
) -> None:
    client = await as_role()
    assert (await create(client, world, date="1404-01-15")).status == 303
    response = await create(
        client, world, date="1404-01-15", start="10:30", end="12:00",
        official_id=str(world.official_h2),
    )  # fmt: skip
    assert response.status == 303
    officials = {official for _, _, official in await slots_of(db_pool, world)}
    assert officials == {world.official_h, world.official_h2}


async def test_back_to_back_slots_are_allowed(as_role: AdminClient, world: World) -> None:
    client = await as_role()
    assert (await create(client, world, date="1404-01-15")).status == 303
    second = await create(client, world, date="1404-01-15", start="11:00", end="12:00")
    assert second.status == 303


async def test_end_before_start_and_unknown_official_are_refused(
    as_role: AdminClient, world: World
) -> None:
    client = await as_role()
    response = await create(client, world, date="1404-01-15", start="11:00", end="09:00")
    assert response.status == 422
    assert "باید بعد از ساعت شروع" in await response.text()
    response = await create(client, world, date="1404-01-15", official_id=str(world.official_t))
    assert response.status == 422
    assert "این مسئول در این مرکز نیست" in await response.text()


async def test_weekly_repeat_is_all_or_nothing_and_names_the_clashing_date(
    as_role: AdminClient, world: World, db_pool: Pool
) -> None:
    client = await as_role()
    taken = await create(client, world, date="1404-01-29", official_id=str(world.official_h2))
    assert taken.status == 303
    data = {
        "official_id": str(world.official_h2), "date": "1404-01-08", "start": "09:00",
        "end": "11:00", "mode": "weekly", "weeks": "۴",
    }  # fmt: skip
    response = await post_form(client, roster(world) + "/repeat", data, roster(world))
    text = await response.text()
    assert response.status == 409
    assert "هیچ نوبتی ثبت نشد" in text
    assert "۱۴۰۴/۰۱/۲۹" in text
    assert len(await slots_of(db_pool, world)) == 1
    data["weeks"] = "3"
    response = await post_form(client, roster(world) + "/repeat", data, roster(world))
    assert response.status == 303
    assert len(await slots_of(db_pool, world)) == 4


async def test_working_days_repeat_skips_weekend_and_holidays(
    as_role: AdminClient, world: World, db_pool: Pool
) -> None:
    client = await as_role()
    await post_form(
        client, f"/admin/centers/{world.hamedan}/holidays",
        {"date": "1403-12-29", "name": "روز ملی شدن صنعت نفت"},
        f"/admin/centers/{world.hamedan}/holidays",
    )  # fmt: skip
    data = {
        "official_id": str(world.official_h), "date": "1403-12-01", "start": "09:00",
        "end": "11:00", "mode": "month",
    }  # fmt: skip
    response = await post_form(client, roster(world) + "/repeat", data, roster(world))
    assert response.status == 303, await response.text()
    days = {s[0].date() for s in await slots_of(db_pool, world)}
    # Esfand 1403 has 30 days (2025-02-19 .. 2025-03-20); 4 Fridays; 1403-12-29 is closed.
    assert len(days) == 30 - 4 - 1
    assert all(d.weekday() != 4 for d in days)
    assert local(2025, 3, 19).date() not in days
    assert local(2025, 3, 20).date() in days


async def test_move_and_delete_are_audited(
    as_role: AdminClient, world: World, db_pool: Pool
) -> None:
    client = await as_role()
    await create(client, world, date="1404-02-01")
    (slot,) = await RosterEditor(db_pool).slots(world.hamedan, local(2025, 1, 1), local(2026, 1, 1))
    page = f"{roster(world)}/slots/{slot.id}"
    data = {"official_id": str(world.official_h2), "date": "1404-02-02", "start": "9", "end": "10"}
    response = await post_form(client, page + "/move", data, page)
    assert response.status == 303, await response.text()
    assert await slots_of(db_pool, world) == [
        (local(2025, 4, 22, 9), local(2025, 4, 22, 10), world.official_h2)
    ]
    response = await post_form(client, page + "/delete", {}, page)
    assert response.status == 303
    assert await slots_of(db_pool, world) == []
    entries = [  # the fixtures' officials and users are in the trail too (0022)
        e for e in await AuditRepository(db_pool).entries(world.hamedan) if e.action in ACTIONS
    ]
    assert [e.action for e in entries] == ["slot_delete", "slot_move", "slot_create"]
    assert entries[1].before["official"] == "علی رضایی"
    assert entries[1].after["official"] == "مریم احمدی"
    audit_page = await (await client.get(f"/admin/centers/{world.hamedan}/audit")).text()
    assert "جابه‌جایی نوبت" in audit_page
    assert "۱۴۰۴/۰۲/۰۲" in audit_page


async def test_moving_onto_another_slot_of_the_same_official_is_refused(
    as_role: AdminClient, world: World, db_pool: Pool
) -> None:
    client = await as_role()
    await create(client, world, date="1404-02-01")
    await create(client, world, date="1404-02-02", official_id=str(world.official_h2))
    first = (
        await RosterEditor(db_pool).slots(world.hamedan, local(2025, 1, 1), local(2026, 1, 1))
    )[0]
    page = f"{roster(world)}/slots/{first.id}"
    data = {"official_id": str(world.official_h2), "date": "1404-02-02", "start": "10", "end": "12"}
    response = await post_form(client, page + "/move", data, page)
    assert response.status == 409
    assert "«مریم احمدی» در ۱۴۰۴/۰۲/۰۲" in await response.text()
    # the same hours with the first official: two desks at once, allowed
    data["official_id"] = str(world.official_h)
    assert (await post_form(client, page + "/move", data, page)).status == 303


async def test_week_view_spans_the_new_year(as_role: AdminClient, world: World) -> None:
    client = await as_role()
    text = await (await client.get(roster(world) + "?week=1403-12-30")).text()
    # Saturday 1403-12-25 .. Friday 1404-01-01
    assert "هفتهٔ ۱۴۰۳/۱۲/۲۵ تا ۱۴۰۴/۰۱/۰۱" in text


async def test_invalid_month_in_url_shows_an_error_not_a_crash(
    as_role: AdminClient, world: World
) -> None:
    client = await as_role()
    response = await client.get(roster(world) + "?month=1403-13")
    assert response.status == 200
    assert "ماه «۱۳» باید بین ۱ و ۱۲ باشد" in await response.text()
