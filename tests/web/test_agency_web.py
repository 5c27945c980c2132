"""The agency portal over HTTP: the list, the request page, answers with attachments."""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
import pytest

from samad_ivr.domain.deadlines import DeadlinePolicy
from samad_ivr.domain.lifecycle import Status
from samad_ivr.settings import Settings
from samad_ivr.storage.accounts import Role
from samad_ivr.storage.db import Pool
from samad_ivr.storage.lifecycle import RequestLifecycle

from .agency_support import (  # noqa: F401  (fixtures)
    MAX_FILES,
    PDF,
    PER_FILE,
    PNG,
    AgencyWorld,
    agency_world_fixture,
    assigned_case,
    count,
    settings_fixture,
    stored_files,
    web_features_fixture,
)
from .conftest import Client, MakeUser

Token = Callable[[Client], Awaitable[str]]


@pytest.fixture
async def staff(
    web_client: Client, make_user: MakeUser, login: Any, agency_world: AgencyWorld
) -> Client:
    user = await make_user(
        Role.AGENCY_STAFF,
        agency_world.hamedan,
        agency_id=agency_world.agency,
        full_name="مریم احمدی",
    )
    await login(web_client, user)
    return web_client


def answer_form(token: str, version: int, body: str, *files: tuple[str, bytes]) -> aiohttp.FormData:
    # What a browser sends for enctype="multipart/form-data", with or without files.
    form = aiohttp.FormData(default_to_multipart=True)
    form.add_field("_csrf", token)
    form.add_field("version", str(version))
    form.add_field("body", body)
    for name, data in files:
        # The browser's word for the type is deliberately wrong: only the bytes count.
        form.add_field("files", data, filename=name, content_type="application/octet-stream")
    return form


async def state_of(pool: Pool, request_id: int) -> Any:
    state = await RequestLifecycle(pool, DeadlinePolicy()).get(request_id)
    assert state is not None
    return state


async def test_the_list_shows_only_the_agencys_requests_with_days_left_in_persian(
    staff: Client, agency_world: AgencyWorld
) -> None:
    response = await staff.get("/agency")
    text = await response.text()
    assert response.status == 200, text
    assert f'data-request-id="{agency_world.own.request_id}"' in text
    assert f'data-request-id="{agency_world.neighbours.request_id}"' not in text
    assert f'data-request-id="{agency_world.far_case.request_id}"' not in text
    assert "۱۰ روز مانده" in text
    assert "data-jdp" in text


async def test_a_bad_filter_is_explained_in_persian_and_loses_the_form(
    staff: Client, agency_world: AgencyWorld
) -> None:
    response = await staff.get("/agency", params={"tracking_code": "12", "from": "1404/13/01"})
    assert response.status == 422
    text = await response.text()
    assert "کد پیگیری باید ۱۰ رقم باشد." in text
    assert 'value="12"' in text


async def test_an_answer_with_a_pdf_is_saved_the_request_answered_and_an_sms_queued(
    staff: Client,
    agency_world: AgencyWorld,
    db_pool: Pool,
    settings: Settings,
    csrf_token_of: Token,
) -> None:
    rid = agency_world.own.request_id
    page = await staff.get(f"/agency/requests/{rid}")
    assert page.status == 200
    assert "ثبت پاسخ دستگاه" in await page.text()
    version = (await state_of(db_pool, rid)).version
    form = answer_form(
        await csrf_token_of(staff),
        version,
        "جاده تا پایان ماه تعمیر می‌شود.",
        ("گزارش بازدید.pdf", PDF),
    )
    response = await staff.post(f"/agency/answers/{rid}", data=form, allow_redirects=False)
    assert response.status == 303, await response.text()
    assert (await state_of(db_pool, rid)).status is Status.ANSWERED
    async with db_pool.acquire() as conn:
        attachment = await conn.fetchrow(
            "SELECT * FROM answer_attachments WHERE request_id = $1", rid
        )
        sms = await conn.fetchrow(
            "SELECT destination, body FROM sms_outbox WHERE request_id = $1", rid
        )
    assert attachment["content_type"] == "application/pdf"
    assert attachment["filename"] == "گزارش بازدید.pdf"
    assert attachment["sha256"] == hashlib.sha256(PDF).hexdigest()
    root = settings.lifecycle.attachments_dir
    assert stored_files(root) == [root / attachment["sha256"][:2] / attachment["sha256"]]
    assert sms["destination"] == "+989181234567"
    assert "ادارهٔ کل راه و شهرسازی به درخواست شما پاسخ داد" in sms["body"]
    page = await (await staff.get(f"/agency/requests/{rid}")).text()
    assert "جاده تا پایان ماه تعمیر می‌شود." in page
    assert "ثبت پاسخ دستگاه" not in page  # answered: no second answer form
    download = await staff.get(f"/attachments/{attachment['id']}")
    assert download.status == 200
    assert await download.read() == PDF
    assert download.headers["Content-Type"] == "application/pdf"
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    disposition = download.headers["Content-Disposition"]
    assert disposition.startswith('attachment; filename="attachment.pdf"; ')
    assert "filename*=UTF-8''%DA%AF%D8%B2%D8%A7%D8%B1%D8%B4%20" in disposition


async def test_a_file_that_is_not_pdf_jpeg_or_png_is_refused_whatever_its_name(
    staff: Client,
    agency_world: AgencyWorld,
    db_pool: Pool,
    settings: Settings,
    csrf_token_of: Token,
) -> None:
    rid = agency_world.own.request_id
    version = (await state_of(db_pool, rid)).version
    form = answer_form(
        await csrf_token_of(staff), version, "پاسخ من", ("نامه.pdf", b"MZ\x90\x00" * 40)
    )
    response = await staff.post(f"/agency/answers/{rid}", data=form)
    text = await response.text()
    assert response.status == 422
    assert "پروندهٔ PDF، JPEG یا PNG نیست" in text
    assert "پاسخ من" in text  # what was typed comes back
    assert (await state_of(db_pool, rid)).status is Status.ASSIGNED
    assert await count(db_pool, "request_answers") == 0
    assert stored_files(settings.lifecycle.attachments_dir) == []


async def test_an_oversized_file_is_refused_with_413_and_nothing_kept(
    staff: Client,
    agency_world: AgencyWorld,
    db_pool: Pool,
    settings: Settings,
    csrf_token_of: Token,
) -> None:
    rid = agency_world.own.request_id
    version = (await state_of(db_pool, rid)).version
    big = PDF + b"0" * (PER_FILE + 1)
    form = answer_form(await csrf_token_of(staff), version, "پاسخ", ("بزرگ.pdf", big))
    response = await staff.post(f"/agency/answers/{rid}", data=form)
    assert response.status == 413
    assert "بزرگ‌تر از" in await response.text()
    assert await count(db_pool, "answer_attachments") == 0
    assert stored_files(settings.lifecycle.attachments_dir) == []


async def test_files_over_the_answers_total_or_count_are_refused(
    staff: Client,
    agency_world: AgencyWorld,
    db_pool: Pool,
    settings: Settings,
    csrf_token_of: Token,
) -> None:
    rid = agency_world.own.request_id
    version = (await state_of(db_pool, rid)).version
    token = await csrf_token_of(staff)
    each = PDF + b"0" * (PER_FILE - len(PDF) - 10)  # under the per-file cap, two over the total
    too_much = answer_form(token, version, "پاسخ", ("a.pdf", each), ("b.pdf", each))
    response = await staff.post(f"/agency/answers/{rid}", data=too_much)
    assert response.status == 413
    too_many = answer_form(
        token, version, "پاسخ", *[(f"{i}.png", PNG) for i in range(MAX_FILES + 1)]
    )
    response = await staff.post(f"/agency/answers/{rid}", data=too_many)
    assert response.status == 422
    assert "حداکثر ۲ پیوست" in await response.text()
    assert await count(db_pool, "request_answers") == 0
    assert stored_files(settings.lifecycle.attachments_dir) == []


async def test_an_answer_without_a_valid_csrf_token_is_refused_before_any_file_is_read(
    staff: Client, agency_world: AgencyWorld, db_pool: Pool, settings: Settings
) -> None:
    rid = agency_world.own.request_id
    version = (await state_of(db_pool, rid)).version
    for token in ("0" * 64, ""):
        form = answer_form(token, version, "پاسخ", ("a.pdf", PDF))
        response = await staff.post(f"/agency/answers/{rid}", data=form)
        assert response.status == 403
    no_token = aiohttp.FormData()
    no_token.add_field("body", "پاسخ")
    no_token.add_field("files", PDF, filename="a.pdf")
    assert (await staff.post(f"/agency/answers/{rid}", data=no_token)).status == 403
    assert await count(db_pool, "request_answers") == 0
    assert stored_files(settings.lifecycle.attachments_dir) == []


async def test_another_agencys_request_is_not_found_and_cannot_be_answered(
    staff: Client, agency_world: AgencyWorld, db_pool: Pool, csrf_token_of: Token
) -> None:
    for case in (agency_world.neighbours, agency_world.far_case):
        assert (await staff.get(f"/agency/requests/{case.request_id}")).status == 404
        assert (await staff.get(f"/api/v1/agency/requests/{case.request_id}")).status == 404
        version = (await state_of(db_pool, case.request_id)).version
        form = answer_form(await csrf_token_of(staff), version, "پاسخ", ("a.pdf", PDF))
        response = await staff.post(f"/agency/answers/{case.request_id}", data=form)
        assert response.status == 404
    assert await count(db_pool, "request_answers") == 0


async def test_a_stale_page_gets_a_persian_409_and_keeps_the_text(
    staff: Client, agency_world: AgencyWorld, db_pool: Pool, csrf_token_of: Token
) -> None:
    rid = agency_world.own.request_id
    version = (await state_of(db_pool, rid)).version
    form = answer_form(await csrf_token_of(staff), version - 1, "متن من", ("a.pdf", PDF))
    response = await staff.post(f"/agency/answers/{rid}", data=form)
    text = await response.text()
    assert response.status == 409
    assert "هم‌زمان توسط کاربر دیگری تغییر کرده است" in text
    assert "متن من" in text
    assert "دوباره انتخاب کنید" in text
    assert await count(db_pool, "answer_attachments") == 0


async def test_answering_twice_is_a_conflict_with_the_reason(
    staff: Client, agency_world: AgencyWorld, db_pool: Pool, csrf_token_of: Token
) -> None:
    rid = agency_world.own.request_id
    token = await csrf_token_of(staff)
    version = (await state_of(db_pool, rid)).version
    first = await staff.post(
        f"/agency/answers/{rid}", data=answer_form(token, version, "یک"), allow_redirects=False
    )
    assert first.status == 303
    version = (await state_of(db_pool, rid)).version
    again = await staff.post(f"/agency/answers/{rid}", data=answer_form(token, version, "دو"))
    assert again.status == 409
    assert "«پاسخ» برای درخواستی که در وضعیت «پاسخ داده شده»" in await again.text()
    assert await count(db_pool, "request_answers") == 1


async def test_a_landline_caller_gets_no_sms(
    staff: Client,
    agency_world: AgencyWorld,
    db_pool: Pool,
    settings: Settings,
    csrf_token_of: Token,
) -> None:
    case = await assigned_case(
        db_pool, settings, agency_world.hamedan, agency_world.agency, caller="+988131234567"
    )
    version = (await state_of(db_pool, case.request_id)).version
    form = answer_form(await csrf_token_of(staff), version, "پاسخ")
    response = await staff.post(
        f"/agency/answers/{case.request_id}", data=form, allow_redirects=False
    )
    assert response.status == 303
    async with db_pool.acquire() as conn:
        assert (
            await conn.fetchval(
                "SELECT count(*) FROM sms_outbox WHERE request_id = $1", case.request_id
            )
            == 0
        )


async def test_the_api_lists_and_opens_the_agencys_requests(
    staff: Client, agency_world: AgencyWorld
) -> None:
    listing = await staff.get("/api/v1/agency/requests", params={"overdue": "false"})
    assert listing.status == 200
    body = await listing.json()
    assert [r["id"] for r in body["requests"]] == [agency_world.own.request_id]
    assert body["requests"][0]["days_left"] == 10
    bad = await staff.get("/api/v1/agency/requests", params={"status": "nonsense"})
    assert bad.status == 422
    assert "error" in await bad.json()
    one = await staff.get(f"/api/v1/agency/requests/{agency_world.own.request_id}")
    case = await one.json()
    assert case["request"]["status"] == "assigned"
    assert case["deadline"]["days"] == 10
    assert [h["action"] for h in case["history"]] == ["register", "assign"]


async def test_an_agency_account_without_an_agency_is_forbidden(
    web_client: Client, make_user: MakeUser, login: Any, agency_world: AgencyWorld
) -> None:
    await login(web_client, await make_user(Role.AGENCY_STAFF, agency_world.hamedan))
    assert (await web_client.get("/agency")).status == 403
    assert (await web_client.get("/api/v1/agency/requests")).status == 403


async def test_notices_are_shown_unread_first_and_marked_read(
    staff: Client, agency_world: AgencyWorld, db_pool: Pool, csrf_token_of: Token
) -> None:
    async with db_pool.acquire() as conn:
        notice = await conn.fetchval(
            "INSERT INTO agency_notifications (agency_id, request_id, kind, subject)"
            " VALUES ($1, $2, 'reminder', 'سه روز به پایان مهلت مانده است') RETURNING id",
            agency_world.agency,
            agency_world.own.request_id,
        )
    text = await (await staff.get("/agency")).text()
    assert "سه روز به پایان مهلت مانده است" in text
    assert "۱ خوانده‌نشده" in text
    token = await csrf_token_of(staff)
    response = await staff.post(
        f"/agency/notices/{notice}/read", data={"_csrf": token}, allow_redirects=False
    )
    assert response.status == 303
    assert "خوانده‌نشده" not in await (await staff.get("/agency")).text()
