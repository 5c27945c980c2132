"""The inspector console's pages and forms on the real app: queues, each outcome, the
visit note, conflicts, CSRF, bad and hostile input (which loses nothing typed)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from samad_ivr.domain.lifecycle import Status
from samad_ivr.storage.db import Pool
from samad_ivr.web.security import Role

from .conftest import Client
from .inspector_support import (  # noqa: F401  (fixtures)
    CLOCK_NOW,
    AsRole,
    CaseMaker,
    World,
    as_role_fixture,
    case_fixture,
    form_token,
    lifecycle_fixture,
    version_of,
    web_features_fixture,
    world_fixture,
)


async def _row(pool: Pool, request_id: int) -> dict[str, object]:
    async with pool.acquire() as conn:
        row = await conn.fetchrow(
            "SELECT status, version, agency_id, topic, due_on,"
            " (SELECT count(*) FROM request_history h WHERE h.request_id = r.id) AS history,"
            " (SELECT count(*) FROM agency_notifications n WHERE n.request_id = r.id) AS notices,"
            " (SELECT count(*) FROM sms_outbox s WHERE s.request_id = r.id) AS sms,"
            " (SELECT count(*) FROM inspection_visits v WHERE v.request_id = r.id) AS visits"
            " FROM requests r WHERE r.id = $1",
            request_id,
        )
    assert row is not None
    return dict(row)


async def _post(
    client: Client, request_id: int, what: str, data: dict[str, str], *, version: int | None
) -> tuple[int, str, str]:
    page = f"/inspector/requests/{request_id}"
    form = {"_csrf": await form_token(client, page), **data}
    if version is not None:
        form["version"] = str(version)
    path = f"{page}/visits" if what == "visit" else f"{page}/actions/{what}"
    response = await client.post(path, data=form, allow_redirects=False)
    return response.status, response.headers.get("Location", ""), await response.text()


async def test_the_overdue_queue_lists_the_provinces_late_requests_with_counts(
    as_role: AsRole, web_client: Client, world: World, case: CaseMaker
) -> None:
    late = await case(Status.ESCALATED, assigned_days_ago=12)
    await case(Status.ESCALATED, province="tehran", assigned_days_ago=12)
    on_time = await case(Status.ASSIGNED, assigned_days_ago=2)
    await as_role(Role.INSPECTOR)
    response = await web_client.get(f"/inspector/centers/{world.hamedan}")
    assert response.status == 200
    text = await response.text()
    assert f'data-request-id="{late}"' in text
    assert f'data-request-id="{on_time}"' not in text
    assert "۲ روز از مهلت گذشته" in text
    # The tabs: one overdue, two open.
    assert re.search(r'data-queue="overdue"[^>]*>مهلت گذشته<span class="count">۱</span>', text)
    assert re.search(r'data-queue="open"[^>]*>همهٔ درخواست‌های باز<span class="count">۲', text)
    everything = await web_client.get(f"/inspector/centers/{world.hamedan}?queue=open")
    assert f'data-request-id="{on_time}"' in await everything.text()


async def test_bad_filters_show_a_persian_message_and_keep_what_was_typed(
    as_role: AsRole, web_client: Client, world: World, case: CaseMaker
) -> None:
    await case(Status.ESCALATED, assigned_days_ago=12)
    await as_role(Role.INSPECTOR)
    base = f"/inspector/centers/{world.hamedan}"
    for query, message in [
        ("tracking_code=۱۲۳", "کد پیگیری باید ۱۰ رقم باشد"),
        ("status=nonsense", "شناخته نیست"),
        ("agency_id=abc", "باید عدد باشد"),
        ("cursor=garbage", "نشانگر صفحه نامعتبر"),
    ]:
        response = await web_client.get(f"{base}?{query}")
        text = await response.text()
        assert response.status == 200
        assert message in text, query
        assert "درخواستی در این صف نیست" in text
    typed = await web_client.get(f"{base}?tracking_code=<b>x</b>")
    assert "&lt;b&gt;x&lt;/b&gt;" in await typed.text()
    api = await web_client.get(
        f"/api/v1/inspector/centers/{world.hamedan}/queues/open?tracking_code=12"
    )
    assert api.status == 422
    assert "۱۰ رقم" in (await api.json())["error"]["message"]


async def test_accepting_an_answer_closes_the_request_and_names_the_inspector(
    as_role: AsRole, web_client: Client, case: CaseMaker, db_pool: Pool
) -> None:
    request_id = await case(Status.ANSWERED)
    await as_role(Role.INSPECTOR)
    page = await (await web_client.get(f"/inspector/requests/{request_id}")).text()
    # From `answered`: accept, send back, resolve; no reassignment.
    assert "actions/accept" in page
    assert "actions/send-back" in page
    assert "actions/resolve" in page
    assert "actions/assign" not in page
    version = await version_of(db_pool, request_id)
    status, location, _ = await _post(
        web_client, request_id, "accept", {"note": "پاسخ کامل است"}, version=version
    )
    assert (status, location) == (303, f"/inspector/requests/{request_id}?done=accept")
    assert (await _row(db_pool, request_id))["status"] == "closed"
    after = await (await web_client.get(location)).text()
    assert "پاسخ دستگاه پذیرفته و درخواست بسته شد" in after
    assert "مریم بازرس" in after  # the history names who accepted
    assert "پاسخ کامل است" in after
    assert "actions/accept" not in after


async def test_sending_back_sets_a_new_deadline_and_tells_the_agency_once(
    as_role: AsRole, web_client: Client, case: CaseMaker, db_pool: Pool
) -> None:
    request_id = await case(Status.ANSWERED)
    await as_role(Role.INSPECTOR)
    version = await version_of(db_pool, request_id)
    form = {"days": "۵", "note": "به پرسش اصلی شهروند پاسخ داده نشده است."}
    status, _, _ = await _post(web_client, request_id, "send-back", form, version=version)
    assert status == 303
    # The same form submitted again (a double click) is stale: nothing more is written.
    again, _, text = await _post(web_client, request_id, "send-back", form, version=version)
    assert again == 409
    assert "هم‌زمان" in text
    assert "به پرسش اصلی شهروند پاسخ داده نشده است." in text  # what was typed stays
    row = await _row(db_pool, request_id)
    assert row["status"] == "assigned"
    # 2025-03-06 is a Thursday; the weekend (Friday) is not in the way.
    assert row["due_on"] == CLOCK_NOW.date() + timedelta(days=5)
    assert (row["notices"], row["sms"]) == (1, 1)
    page = await (await web_client.get(f"/inspector/requests/{request_id}")).text()
    assert "۱۴۰۳/۱۲/۱۶" in page  # the new deadline, Jalali


async def test_resolving_needs_the_inspectors_own_resolution(
    as_role: AsRole, web_client: Client, case: CaseMaker, db_pool: Pool
) -> None:
    request_id = await case(Status.ESCALATED, assigned_days_ago=12)
    await as_role(Role.INSPECTOR)
    version = await version_of(db_pool, request_id)
    status, _, text = await _post(
        web_client, request_id, "resolve", {"resolution": "   "}, version=version
    )
    assert status == 422
    assert "«رسیدگی بازرسی» را بنویسید" in text
    assert (await _row(db_pool, request_id))["status"] == "escalated"
    status, _, _ = await _post(
        web_client, request_id, "resolve", {"resolution": "با دستور استاندار حل شد"},
        version=version,
    )  # fmt: skip
    assert status == 303
    assert (await _row(db_pool, request_id))["status"] == "closed"


async def test_reassigning_moves_the_request_to_another_agency_of_the_province(
    as_role: AsRole, web_client: Client, world: World, case: CaseMaker, db_pool: Pool
) -> None:
    request_id = await case(Status.ESCALATED, assigned_days_ago=12)
    await as_role(Role.INSPECTOR)
    version = await version_of(db_pool, request_id)
    other = {"agency_id": str(world.roads_t), "topic": "employment"}
    status, _, text = await _post(web_client, request_id, "assign", other, version=version)
    assert status == 422
    assert "در استان این درخواست نیست" in text
    unknown = {"agency_id": str(world.jobs_h), "topic": "no_such_topic"}
    status, _, text = await _post(web_client, request_id, "assign", unknown, version=version)
    assert status == 422
    assert "موضوع‌های فعال" in text
    good = {"agency_id": str(world.jobs_h), "topic": "employment", "note": "کار و رفاه"}
    status, _, _ = await _post(web_client, request_id, "assign", good, version=version)
    assert status == 303
    row = await _row(db_pool, request_id)
    assert (row["status"], row["agency_id"], row["topic"]) == (
        "assigned",
        world.jobs_h,
        "employment",
    )


async def test_a_move_the_status_does_not_allow_is_a_conflict_with_a_reason(
    as_role: AsRole, web_client: Client, case: CaseMaker, db_pool: Pool
) -> None:
    request_id = await case(Status.ASSIGNED)
    await as_role(Role.INSPECTOR)
    page = await (await web_client.get(f"/inspector/requests/{request_id}")).text()
    assert "actions/accept" not in page
    before = await _row(db_pool, request_id)
    status, _, text = await _post(
        web_client, request_id, "accept", {}, version=int(str(before["version"]))
    )
    assert status == 409
    assert "«پذیرش پاسخ» برای درخواستی که در وضعیت «ارجاع شده به دستگاه» است ممکن نیست" in text
    assert await _row(db_pool, request_id) == before


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"days": "abc", "note": "x"}, "باید عدد باشد"),
        ({"days": "400", "note": "x"}, "بین ۱ و ۳۶۵"),
        ({"days": "5", "note": ""}, "«دلیل بازگرداندن» را بنویسید"),
        ({"days": "5", "note": "ی" * 4001}, "بیش از ۴۰۰۰ نویسه"),
    ],
)
async def test_bad_send_back_input_is_refused_and_writes_nothing(
    as_role: AsRole, web_client: Client, case: CaseMaker, db_pool: Pool,
    form: dict[str, str], message: str,
) -> None:  # fmt: skip
    request_id = await case(Status.ANSWERED)
    await as_role(Role.INSPECTOR)
    before = await _row(db_pool, request_id)
    status, _, text = await _post(
        web_client, request_id, "send-back", form, version=int(str(before["version"]))
    )
    assert status == 422
    assert message in text
    assert await _row(db_pool, request_id) == before


async def test_a_form_without_its_version_or_csrf_token_changes_nothing(
    as_role: AsRole, web_client: Client, case: CaseMaker, db_pool: Pool
) -> None:
    request_id = await case(Status.ANSWERED)
    await as_role(Role.INSPECTOR)
    before = await _row(db_pool, request_id)
    status, _, text = await _post(web_client, request_id, "accept", {}, version=None)
    assert status == 422
    assert "نسخهٔ درخواست همراه فرم نیست" in text
    forged = await web_client.post(
        f"/inspector/requests/{request_id}/actions/accept",
        data={"version": str(before["version"])}, allow_redirects=False,
    )  # fmt: skip
    assert forged.status == 403
    assert await _row(db_pool, request_id) == before


async def test_a_visit_note_appears_in_the_timeline_and_hostile_text_stays_text(
    as_role: AsRole, web_client: Client, world: World, case: CaseMaker, db_pool: Pool
) -> None:
    request_id = await case(Status.ESCALATED, assigned_days_ago=12)
    await as_role(Role.INSPECTOR)
    findings = "پرونده در دبیرخانه مانده بود <script>alert(1)</script>\x00"
    form = {"visited_on": "۱۴۰۳/۱۲/۱۰", "agency_id": str(world.roads_h), "findings": findings}
    status, location, _ = await _post(web_client, request_id, "visit", form, version=None)
    assert status == 303
    assert (await _row(db_pool, request_id))["visits"] == 1
    page = await (await web_client.get(location)).text()
    assert "گزارش بازدید ثبت شد" in page
    assert "بازدید بازرسی" in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<script>alert(1)" not in page
    bad = {**form, "visited_on": "1403/13/01", "findings": "یافتهٔ تازه"}
    status, _, text = await _post(web_client, request_id, "visit", bad, version=None)
    assert status == 422
    assert "ماه «۱۳» باید بین ۱ و ۱۲ باشد" in text
    assert "یافتهٔ تازه" in text
    assert (await _row(db_pool, request_id))["visits"] == 1


async def test_a_province_admin_may_assign_but_not_decide_and_a_listener_only_reads(
    as_role: AsRole, web_client: Client, case: CaseMaker
) -> None:
    request_id = await case(Status.ESCALATED, assigned_days_ago=12)
    await as_role(Role.PROVINCE_ADMIN)
    page = await (await web_client.get(f"/inspector/requests/{request_id}")).text()
    assert "actions/assign" in page
    assert "actions/send-back" not in page
    assert "/visits" not in page
    await as_role(Role.NATIONAL_LISTENER)
    page = await (await web_client.get(f"/inspector/requests/{request_id}")).text()
    assert '<form method="post"' not in page
    assert "سابقهٔ درخواست" in page


async def test_pages_of_other_consoles_link_inspectors_to_their_console(
    as_role: AsRole, web_client: Client
) -> None:
    # An error page is the base page with nothing of the console's own.
    anonymous = await (await web_client.get("/login")).text()
    assert 'href="/inspector"' not in anonymous
    await as_role(Role.INSPECTOR)
    missing = await web_client.get("/inspector/requests/999999")
    assert missing.status == 404
    assert 'class="console-link"' in await missing.text()
    await as_role(Role.OFFICIAL)
    refused = await web_client.get("/inspector")
    assert refused.status == 403
    # The shared navigation shows an official their own desk only, never /inspector.
    refused_text = await refused.text()
    assert 'href="/inspector"' not in refused_text
    assert 'href="/desk" class="console-link"' in refused_text
