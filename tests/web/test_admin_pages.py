"""Officials, agencies, center settings, holidays, CSV import, who-answers and the slot API."""

from __future__ import annotations

import io
import math
import struct
import wave
from pathlib import Path

from samad_ivr.settings import Settings
from samad_ivr.storage.audit import ACTIONS as ROSTER_ACTIONS
from samad_ivr.storage.audit import AuditRepository
from samad_ivr.storage.db import Pool
from samad_ivr.storage.officials import OfficialRepository
from samad_ivr.storage.roster import RosterRepository
from samad_ivr.storage.roster_edit import RosterEditor
from samad_ivr.web.security import Role

from .test_admin_support import (  # noqa: F401  (fixtures)
    AdminClient,
    World,
    as_role_fixture,
    csrf,
    local,
    post_form,
    settings_fixture,
    web_features_fixture,
    world_fixture,
)


def tone_wav(seconds: float = 0.5) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16000)
        frames = int(16000 * seconds)
        w.writeframes(
            b"".join(
                struct.pack("<h", int(12000 * math.sin(2 * math.pi * 440 * i / 16000)))
                for i in range(frames)
            )
        )
    return buffer.getvalue()


async def test_saving_an_official_validates_and_generates_the_prompt(
    as_role: AdminClient, world: World, db_pool: Pool, settings: Settings
) -> None:
    client = await as_role()
    page = f"/admin/centers/{world.hamedan}/officials/new"
    bad = {
        "name": "", "title": "مدیرکل", "desk_endpoint": "PJSIP/desk 1;Hangup",
        "mobile": "08131234567", "deputy_id": str(world.official_t),
    }  # fmt: skip
    response = await post_form(client, page, bad, page)
    text = await response.text()
    assert response.status == 422
    for message in ("نام مسئول را وارد کنید", "میز باید به شکل PJSIP/desk-1", "شمارهٔ همراه ایران",
                    "جانشین باید مسئول دیگری از همین مرکز"):  # fmt: skip
        assert message in text
    good = {
        "name": "رضا كريمي", "title": "مدیرکل راه و شهرسازی", "agency_id": str(world.agency_h),
        "desk_endpoint": "PJSIP/desk-3", "mobile": "۰۹۱۲ ۱۲۳ ۴۵۶۷",
        "deputy_id": str(world.official_h),
    }  # fmt: skip
    response = await post_form(client, page, good, page)
    assert response.status == 303, await response.text()
    official_id = int(response.headers["Location"].split("/")[-1].split("?")[0])
    saved = await OfficialRepository(db_pool).get(world.hamedan, official_id)
    assert saved is not None
    assert (saved.name, saved.mobile, saved.deputy_id) == (
        "رضا کریمی",
        "+989121234567",
        world.official_h,
    )
    assert saved.prompt_source == "generated"
    assert (settings.sounds_dir / "officials" / f"{official_id}.sln").stat().st_size > 1000


async def test_uploaded_recording_replaces_the_prompt_and_garbage_is_refused(
    as_role: AdminClient, world: World, db_pool: Pool, settings: Settings, tmp_path: Path
) -> None:
    client = await as_role()
    page = f"/admin/centers/{world.hamedan}/officials/{world.official_h}"
    token = await csrf(client, page)
    form = {"_csrf": token, "recording": io.BytesIO(b"MZ\x90\x00 not audio at all" * 100)}
    response = await client.post(page + "/prompt", data=form, allow_redirects=False)
    assert response.status == 422
    assert "صدای قابل پخش نیست" in await response.text()
    base = settings.sounds_dir / "officials" / str(world.official_h)
    assert not base.with_suffix(".sln").exists()
    upload = io.BytesIO(tone_wav())
    upload.name = "evil.exe"  # the name is never trusted; ffmpeg probes the bytes
    response = await client.post(
        page + "/prompt", data={"_csrf": token, "recording": upload}, allow_redirects=False
    )
    assert response.status == 303, await response.text()
    assert {p.suffix for p in base.parent.iterdir()} == {".sln", ".alaw", ".sln16"}
    official = await OfficialRepository(db_pool).get(world.hamedan, world.official_h)
    assert official is not None
    assert official.prompt_source == "uploaded"


async def test_agencies_crud_with_persian_errors(as_role: AdminClient, world: World) -> None:
    client = await as_role()
    page = f"/admin/centers/{world.hamedan}/agencies"
    assert (await post_form(client, page, {"name": "اداره كل راه"}, page)).status == 303
    response = await post_form(client, page, {"name": "اداره کل راه"}, page)
    assert response.status == 422
    assert "دستگاهی به نام «اداره کل راه»" in await response.text()
    response = await post_form(client, f"{page}/{world.agency_h}/delete", {}, page)
    assert response.status == 409
    assert "حذف نمی‌شود" in await response.text()
    response = await post_form(client, f"{page}/{world.agency_h}", {"name": "استانداری"}, page)
    assert response.status == 303
    assert "استانداری" in await (await client.get(page)).text()


async def test_weekend_and_duty_window_are_saved_validated_and_audited(
    as_role: AdminClient, world: World, db_pool: Pool
) -> None:
    client = await as_role()
    page = f"/admin/centers/{world.hamedan}/settings"
    token = await csrf(client, page)
    response = await client.post(
        page + "/weekend", data=[("_csrf", token), ("weekend", "3"), ("weekend", "4")],
        allow_redirects=False,
    )  # fmt: skip
    assert response.status == 303
    bad = await post_form(client, page + "/window", {"duty_start": "11", "duty_end": "۰۹:۰۰"}, page)
    assert bad.status == 422
    assert "بعد از ساعت شروع" in await bad.text()
    good = await post_form(
        client, page + "/window", {"duty_start": "۰۸:۳۰", "duty_end": "10:30"}, page
    )
    assert good.status == 303
    center = await RosterEditor(db_pool).center(world.hamedan)
    assert center is not None
    assert center.weekend_days == {3, 4}
    assert str(center.duty_start) == "08:30:00"
    # The fixtures' officials, agencies and users are in the trail too (0022's triggers).
    entries = await AuditRepository(db_pool).entries(world.hamedan)
    actions = [e.action for e in entries if e.action in ROSTER_ACTIONS]
    assert actions == ["duty_window_set", "weekend_set"]
    new_slot_form = await (await client.get(f"/admin/centers/{world.hamedan}/roster")).text()
    assert 'name="start" value="08:30"' in new_slot_form


async def test_holidays_add_rename_remove(
    as_role: AdminClient, world: World, db_pool: Pool
) -> None:
    client = await as_role()
    page = f"/admin/centers/{world.hamedan}/holidays"
    response = await post_form(client, page, {"date": "۱۴۰۴/۰۱/۱۳", "name": "سیزده بدر"}, page)
    assert response.status == 303
    text = await (await client.get(page + "?year=1404")).text()
    assert "۱۴۰۴/۰۱/۱۳" in text
    assert "سیزده بدر" in text
    response = await post_form(client, page + "/1404-01-13/rename", {"name": "روز طبیعت"}, page)
    assert response.status == 303
    assert (await post_form(client, page + "/1404-01-13/delete", {}, page)).status == 303
    assert (await post_form(client, page + "/1404-01-13/delete", {}, page)).status == 404
    bad = await post_form(client, page, {"date": "1404-13-01", "name": "x"}, page)
    assert bad.status == 422
    # The fixtures' officials, agencies and users are in the trail too (0022's triggers).
    entries = await AuditRepository(db_pool).entries(world.hamedan)
    actions = [e.action for e in entries if e.action in ROSTER_ACTIONS]
    assert actions == ["holiday_remove", "holiday_rename", "holiday_add"]


async def test_csv_with_a_bad_row_imports_nothing_and_names_the_row(
    as_role: AdminClient, world: World, db_pool: Pool
) -> None:
    client = await as_role()
    page = f"/admin/centers/{world.hamedan}/roster/import"
    csv_text = (
        "jalali_date,start,end,official_id,desk\n"
        f"1403-12-30,09:00,11:00,{world.official_h},\n"
        "1404-01-01,09:00,11:00,,PJSIP/desk-2\n"
        "1404-12-30,09:00,11:00,,PJSIP/desk-2\n"
    )
    token = await csrf(client, page)
    data = {"_csrf": token, "file": io.BytesIO(("\ufeff" + csv_text).encode())}
    response = await client.post(page, data=data, allow_redirects=False)
    text = await response.text()
    assert response.status == 422
    assert "ردیف ۴: تاریخ «1404-12-30» وجود ندارد" in text
    assert (
        await RosterEditor(db_pool).slots(world.hamedan, local(2025, 1, 1), local(2026, 6, 1)) == []
    )
    fixed = csv_text.replace("1404-12-30", "۱۴۰۴/۰۱/۰۲")
    data = {"_csrf": token, "file": io.BytesIO(fixed.encode())}
    response = await client.post(page, data=data, allow_redirects=False)
    assert response.status == 303, await response.text()
    rows = await RosterEditor(db_pool).slots(world.hamedan, local(2025, 1, 1), local(2026, 6, 1))
    assert [(s.starts_at, s.official_id) for s in rows] == [
        (local(2025, 3, 20, 9), world.official_h),
        (local(2025, 3, 21, 9), world.official_h2),
        (local(2025, 3, 22, 9), world.official_h2),
    ]


async def test_who_answers_uses_the_routing_decision(
    as_role: AdminClient, world: World, db_pool: Pool
) -> None:
    client = await as_role()
    roster = RosterRepository(db_pool)
    await roster.add_slot(
        world.hamedan, world.official_h, local(2025, 3, 20, 9), local(2025, 3, 20, 11)
    )
    page = f"/admin/centers/{world.hamedan}/who"
    text = await (await client.get(page + "?date=1403-12-30&time=۱۰:۱۵")).text()
    assert "تماس به میز <strong>علی رضایی</strong>" in text
    # Several desks: a second official on duty at 10:30 is listed too.
    await roster.add_slot(
        world.hamedan, world.official_h2, local(2025, 3, 20, 10, 30), local(2025, 3, 20, 11)
    )
    text = await (await client.get(page + "?date=1403-12-30&time=10:45")).text()
    assert "۲ میز کشیک دارند" in text
    assert "<strong>علی رضایی</strong>" in text
    assert "<strong>مریم احمدی</strong>" in text
    text = await (await client.get(page + "?date=1403-12-30&time=11:00")).text()
    assert "مرکز تعطیل است" in text
    assert "در دو ماه آینده نوبتی ثبت نشده است" in text
    text = await (await client.get(page + "?date=1403-12-29&time=12:00")).text()
    assert "نوبت بعدی که اعلام می‌شود: ۱۴۰۳/۱۲/۳۰ ساعت ۰۹:۰۰" in text
    await roster.add_closed_day(world.hamedan, local(2025, 3, 20).date(), "تعطیل")
    text = await (await client.get(page + "?date=1403-12-30&time=10:00")).text()
    assert "تعطیل رسمی" in text


async def test_who_answers_reports_an_unreadable_roster_as_an_error(
    as_role: AdminClient, world: World, db_pool: Pool
) -> None:
    client = await as_role()
    async with db_pool.acquire() as conn:
        # The roster query fails (a broken deployment); the page must not say "closed".
        await conn.execute("ALTER TABLE closed_days RENAME TO closed_days_gone")
    response = await client.get(f"/admin/centers/{world.hamedan}/who?date=1404-01-15&time=10:00")
    text = await response.text()
    assert response.status == 503
    assert "تصمیم مسیریابی معلوم نیست" in text
    assert "مرکز تعطیل است" not in text


async def test_slot_api_lists_creates_and_deletes_with_jalali_dates(
    as_role: AdminClient, world: World, db_pool: Pool
) -> None:
    client = await as_role(Role.PROVINCE_ADMIN)
    token = (await (await client.get("/api/v1/me")).json())["csrf_token"]
    base = f"/api/v1/centers/{world.hamedan}/slots"
    headers = {"X-CSRF-Token": token}
    body = {"official_id": world.official_h, "jalali_date": "۱۴۰۳/۱۲/۳۰"}
    created = await client.post(base, json=body, headers=headers)
    assert created.status == 201, await created.text()
    slot = await created.json()
    assert (slot["jalali_date"], slot["start"], slot["end"]) == ("1403-12-30", "09:00", "11:00")
    clash = await client.post(
        base, json={**body, "start": "10:00", "end": "12:00"}, headers=headers
    )
    assert clash.status == 409
    assert "هم‌پوشانی" in (await clash.json())["error"]["message"]
    listed = await (await client.get(base + "?month=1403-12")).json()
    assert [s["id"] for s in listed["slots"]] == [slot["id"]]
    assert (await (await client.get(base + "?month=1404-01")).json())["slots"] == []
    assert (await client.delete(f"{base}/{slot['id']}", headers=headers)).status == 200
    assert (await client.delete(f"{base}/{slot['id']}", headers=headers)).status == 404
    document = await (await client.get("/api/openapi.json")).json()
    assert {"get", "post"} <= set(document["paths"]["/centers/{center_id}/slots"])
    assert "delete" in document["paths"]["/centers/{center_id}/slots/{slot_id}"]
