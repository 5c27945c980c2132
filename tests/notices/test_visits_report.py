from __future__ import annotations

import csv
import io
from datetime import date

from samad_ivr.storage.accounts import Role
from samad_ivr.storage.db import Pool
from samad_ivr.storage.roster import RosterRepository

from .conftest import Client, MakeAnswered, MakeSlot, World, log_in, tehran


async def test_an_anonymous_visitor_is_sent_to_the_login_page(client: Client, world: World) -> None:
    response = await client.get("/admin/visits", allow_redirects=False)
    assert response.status == 302
    assert response.headers["Location"].startswith("/login")


async def test_an_official_may_not_see_the_report(
    client: Client, db_pool: Pool, world: World
) -> None:
    await log_in(client, db_pool, Role.OFFICIAL, world.center_id)
    response = await client.get("/admin/visits")
    assert response.status == 403


async def test_a_province_admin_sees_their_center_in_jalali_with_persian_digits(
    client: Client, db_pool: Pool, world: World, make_slot: MakeSlot, make_answered: MakeAnswered
) -> None:
    await make_slot(date(2025, 4, 7))
    await make_answered(tehran(date(2025, 4, 7), 9, 20), world.governor_id)
    await log_in(client, db_pool, Role.PROVINCE_ADMIN, world.center_id)
    response = await client.get("/admin/visits")
    assert response.status == 200
    html = await response.text()
    assert "سال ۱۴۰۴" in html
    assert "<bdi>۱۴۰۴/۰۱/۱۸</bdi>" in html
    assert "علی رضایی" in html
    assert "در خطر" in html


async def test_a_province_admin_cannot_open_another_centers_report(
    client: Client, db_pool: Pool, world: World
) -> None:
    await RosterRepository(db_pool).ensure_center("tehran", "مرکز سامد تهران", "samad-tehran")
    await log_in(client, db_pool, Role.PROVINCE_ADMIN, world.center_id)
    response = await client.get("/admin/visits?center=tehran")
    assert response.status == 403
    response = await client.get("/admin/visits.csv?center=tehran")
    assert response.status == 403


async def test_a_national_listener_may_open_any_center(
    client: Client, db_pool: Pool, world: World
) -> None:
    await RosterRepository(db_pool).ensure_center("tehran", "مرکز سامد تهران", "samad-tehran")
    await log_in(client, db_pool, Role.NATIONAL_LISTENER, None)
    assert (await client.get("/admin/visits?center=tehran")).status == 200


async def test_a_year_that_is_not_a_number_is_a_bad_request(
    client: Client, db_pool: Pool, world: World
) -> None:
    await log_in(client, db_pool, Role.SUPERUSER, None)
    assert (await client.get("/admin/visits?year=abc")).status == 400


async def test_the_csv_opens_in_excel_as_utf8_with_one_row_per_official(
    client: Client, db_pool: Pool, world: World, make_slot: MakeSlot, make_answered: MakeAnswered
) -> None:
    await make_slot(date(2025, 3, 20))  # 1403-12-30, attended, but last year
    await make_answered(tehran(date(2025, 3, 20), 9, 20), world.governor_id)
    await make_slot(date(2025, 4, 7))
    await make_answered(tehran(date(2025, 4, 7), 9, 20), world.governor_id)
    await log_in(client, db_pool, Role.SUPERUSER, None)
    response = await client.get("/admin/visits.csv?center=hamedan&year=1404")
    assert response.status == 200
    assert response.content_type == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    raw = await response.read()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0][0] == "نام"
    by_name = {row[0]: row for row in rows[1:]}
    governor = by_name["علی رضایی"]
    assert governor[3:9] == ["1404", "1", "1", "3", "0", "بله"]
    assert governor[9] == "1404/01/18"
    assert by_name["مینا احمدی"][4] == "0"


async def test_csv_cells_that_look_like_formulas_are_defused(
    client: Client, db_pool: Pool, world: World
) -> None:
    await RosterRepository(db_pool).add_official(
        world.center_id, "=HYPERLINK(1)", "مدیر", None, "PJSIP/desk-9"
    )
    await log_in(client, db_pool, Role.SUPERUSER, None)
    raw = await (await client.get("/admin/visits.csv")).read()
    assert "'=HYPERLINK(1)" in raw.decode("utf-8-sig")
