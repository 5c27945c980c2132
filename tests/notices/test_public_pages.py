from __future__ import annotations

from datetime import date, timedelta

from icalendar import Calendar

from samad_ivr.storage.db import Pool
from samad_ivr.storage.holidays import HolidayRepository
from samad_ivr.storage.roster import RosterRepository

from .conftest import Client, MakeSlot, World, hidden_fields, tehran

MONDAY = date(2025, 5, 5)  # 1404-02-15; the clients' clock says 2025-05-03 12:00 Tehran


async def test_the_duty_page_lists_upcoming_sessions_in_jalali_with_persian_digits(
    client: Client, world: World, make_slot: MakeSlot
) -> None:
    await make_slot(MONDAY)
    response = await client.get("/duty")
    assert response.status == 200
    html = await response.text()
    assert '<html lang="fa" dir="rtl">' in html
    assert "دوشنبه ۱۵ اردیبهشت ۱۴۰۴" in html
    assert "<bdi>۰۹:۰۰</bdi> تا <bdi>۱۱:۰۰</bdi>" in html
    assert "استاندار" in html
    assert "استانداری همدان" in html


async def test_past_sessions_and_sessions_on_holidays_are_not_listed(
    client: Client, db_pool: Pool, world: World, make_slot: MakeSlot
) -> None:
    await make_slot(date(2025, 5, 1))  # before the clock
    await make_slot(MONDAY)
    await HolidayRepository(db_pool).add(world.center_id, MONDAY, "تعطیلی اضطراری")
    html = await (await client.get("/duty")).text()
    assert "<td>استاندار</td>" not in html
    assert "جلسهٔ پاسخگویی برنامه‌ریزی‌شده‌ای نیست" in html


async def test_the_center_filter_shows_only_that_centers_sessions(
    client: Client, db_pool: Pool, world: World, make_slot: MakeSlot
) -> None:
    roster = RosterRepository(db_pool)
    tehran_id = await roster.ensure_center("tehran", "مرکز سامد تهران", "samad-tehran")
    mayor = await roster.add_official(tehran_id, "شهردار", "شهردار تهران", None, "PJSIP/t-1")
    starts = tehran(MONDAY, 9)
    await roster.add_slot(tehran_id, mayor, starts, starts + timedelta(hours=2))
    await make_slot(MONDAY)
    everything = await (await client.get("/duty.json")).json()
    only_tehran = await (await client.get("/duty.json?center=tehran")).json()
    assert {s["center"] for s in everything["sessions"]} == {"hamedan", "tehran"}
    assert [s["official_title"] for s in only_tehran["sessions"]] == ["شهردار تهران"]


async def test_the_json_feed_has_utc_times_and_jalali_text(
    client: Client, world: World, make_slot: MakeSlot
) -> None:
    slot_id = await make_slot(MONDAY)
    response = await client.get("/duty.json")
    assert response.content_type == "application/json"
    assert "استاندار" in await response.text()  # not \u-escaped
    (item,) = (await response.json())["sessions"]
    assert item["slot_id"] == slot_id
    assert item["starts_at"] == "2025-05-05T05:30:00+00:00"
    assert item["jalali_date"] == "۱۴۰۴/۰۲/۱۵"
    assert item["agency"] == "استانداری همدان"


async def test_the_ical_feed_is_rfc_5545_with_one_event_per_session_in_utc(
    client: Client, world: World, make_slot: MakeSlot
) -> None:
    slot_id = await make_slot(MONDAY)
    await make_slot(MONDAY + timedelta(days=1), world.mayor_id)
    response = await client.get("/duty.ics")
    assert response.status == 200
    assert response.content_type == "text/calendar"
    raw = await response.read()
    assert raw.startswith(b"BEGIN:VCALENDAR\r\n")
    assert all(len(line) <= 75 for line in raw.split(b"\r\n"))
    calendar = Calendar.from_ical(raw)
    events = calendar.walk("VEVENT")
    assert len(events) == 2
    first = events[0]
    assert str(first["uid"]) == f"duty-slot-{slot_id}@samad-ivr"
    assert first.decoded("dtstart") == tehran(MONDAY, 9)
    assert b"DTSTART:20250505T053000Z" in raw
    assert "استاندار" in str(first["summary"])


async def test_a_citizen_subscribes_on_the_web_and_confirms_with_the_texted_code(
    client: Client, db_pool: Pool, world: World
) -> None:
    page = await (await client.get("/duty")).text()
    form = {**hidden_fields(page, "subscribe-form"), "center": "hamedan", "mobile": "۰۹۱۲ ۱۲۳ ۴۵۶۷"}
    response = await client.post("/duty/subscribe", data=form)
    assert response.status == 200
    page = await response.text()
    assert "کد تأیید به شمارهٔ همراه شما پیامک شد" in page
    sms = await db_pool.fetchrow("SELECT destination, body FROM sms_outbox")
    assert sms is not None
    assert sms["destination"] == "+989121234567"
    code = sms["body"].rsplit(" ", 1)[-1]
    row = await db_pool.fetchrow("SELECT confirmed, source FROM subscriptions")
    assert row is not None
    assert (row["confirmed"], row["source"]) == (False, "web")

    confirm = {**hidden_fields(page, "confirm-form"), "code": code}
    response = await client.post("/duty/confirm", data=confirm)
    assert response.status == 200, await response.text()
    assert "اشتراک شما تأیید شد" in await response.text()
    assert await db_pool.fetchval("SELECT confirmed FROM subscriptions") is True


async def test_a_wrong_code_does_not_confirm_and_guessing_stops_after_five_tries(
    client: Client, db_pool: Pool, world: World
) -> None:
    page = await (await client.get("/duty")).text()
    form = {**hidden_fields(page, "subscribe-form"), "center": "hamedan", "mobile": "09121234567"}
    page = await (await client.post("/duty/subscribe", data=form)).text()
    code = (await db_pool.fetchval("SELECT body FROM sms_outbox")).rsplit(" ", 1)[-1]
    wrong = "000000" if code != "000000" else "111111"
    confirm = hidden_fields(page, "confirm-form")
    for _ in range(5):
        response = await client.post("/duty/confirm", data={**confirm, "code": wrong})
        assert response.status == 400
    response = await client.post("/duty/confirm", data={**confirm, "code": code})
    assert response.status == 400
    assert await db_pool.fetchval("SELECT confirmed FROM subscriptions") is False


async def test_a_landline_number_is_refused_by_the_form(client: Client, db_pool: Pool) -> None:
    page = await (await client.get("/duty")).text()
    form = {**hidden_fields(page, "subscribe-form"), "center": "hamedan", "mobile": "08138261234"}
    response = await client.post("/duty/subscribe", data=form)
    assert response.status == 400
    assert "شمارهٔ تلفن همراه معتبر" in await response.text()
    assert await db_pool.fetchval("SELECT count(*) FROM subscriptions") == 0


async def test_a_second_sign_up_within_two_minutes_sends_no_second_code(
    client: Client, db_pool: Pool, world: World
) -> None:
    page = await (await client.get("/duty")).text()
    form = {**hidden_fields(page, "subscribe-form"), "center": "hamedan", "mobile": "09121234567"}
    await client.post("/duty/subscribe", data=form)
    response = await client.post("/duty/subscribe", data=form)
    assert "کمی صبر کنید" in await response.text()
    assert await db_pool.fetchval("SELECT count(*) FROM sms_outbox") == 1


async def test_the_subscription_form_without_its_csrf_token_is_rejected(
    client: Client, db_pool: Pool, world: World
) -> None:
    await client.get("/duty")
    form = {"center": "hamedan", "mobile": "09121234567"}
    response = await client.post("/duty/subscribe", data=form)
    assert response.status == 403
    assert await db_pool.fetchval("SELECT count(*) FROM subscriptions") == 0
