"""SMS texts and admin notifications in the console, on the real app and PostgreSQL."""

from __future__ import annotations

import html
import re
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from samad_ivr.domain.spoken import format_jalali_date
from samad_ivr.sms.notifications import AdminNotifications
from samad_ivr.sms.templates import TemplateRepository
from samad_ivr.storage.db import Pool
from samad_ivr.storage.notices import AtRiskWarning, NoticeRepository
from samad_ivr.web.admin.routes import setup_admin
from samad_ivr.web.admin.sms import SAMPLE_CODE, count, setup_admin_sms
from samad_ivr.web.app import Feature
from samad_ivr.web.security import Role

from .conftest import Client
from .test_admin_support import (  # noqa: F401  (fixtures)
    AdminClient,
    World,
    as_role_fixture,
    csrf,
    settings_fixture,
    world_fixture,
)

TEHRAN = ZoneInfo("Asia/Tehran")
EDIT = "/admin/sms/templates/tracking_code"
GOOD = "سامد: درخواست ثبت شد.\nکد پیگیری:\n{code}\n{registered_at}"


@pytest.fixture(name="web_features")
def web_features_fixture() -> Sequence[Feature]:
    return (setup_admin, setup_admin_sms)


def today_text() -> str:
    return format_jalali_date(datetime.now(UTC).astimezone(TEHRAN).date())


def shown_count(text: str) -> tuple[str, str, str]:
    """(characters, encoding, parts) as the edit page shows them."""
    found = [
        re.search(rf'id="{name}"[^>]*>([^<]*)<', text) for name in ("sms-chars", "sms-encoding",
                                                                    "sms-parts")
    ]  # fmt: skip
    assert all(found), "the page has no counter"
    chars, encoding, parts = (m.group(1) for m in found if m)
    return chars, encoding, parts


async def save(client: Client, body: str) -> Any:
    token = await csrf(client, EDIT)
    return await client.post(EDIT, data={"body": body, "_csrf": token}, allow_redirects=False)


async def stored_body(db_pool: Pool) -> str:
    template = await TemplateRepository(db_pool).get("tracking_code")
    assert template is not None
    return template.body


# --- templates -----------------------------------------------------------------------


async def test_list_shows_each_template_with_encoding_parts_and_who_changed_it_when(
    as_role: AdminClient,
) -> None:
    client = await as_role(Role.SUPERUSER)
    text = await (await client.get("/admin/sms/templates")).text()
    assert "tracking_code" in text
    assert "کد پیگیری که پس از ثبت درخواست" in text
    assert "UCS-2" in text
    assert "متن اولیهٔ نصب" in text
    assert "کد پیگیری: ⏎ {code}" in text
    assert (await save(client, GOOD)).status == 303
    text = await (await client.get("/admin/sms/templates")).text()
    assert re.search(rf"{today_text()} ساعت [۰-۹]{{2}}:[۰-۹]{{2}} — superuser-\d+", text)
    assert 'href="/admin/sms/templates"' in text  # the shared navigation links here


async def test_saving_a_valid_template_stores_it_with_lf_line_ends_and_persian_letters(
    as_role: AdminClient, db_pool: Pool
) -> None:
    client = await as_role(Role.SUPERUSER)
    response = await save(client, "  پيام سامد\r\n{code}\r\n{registered_at}\r\n")
    assert response.status == 303
    assert response.headers["Location"] == EDIT + "?done=template_saved"
    assert await stored_body(db_pool) == "پیام سامد\n{code}\n{registered_at}"
    page = await (await client.get(response.headers["Location"])).text()
    assert "متن پیامک ذخیره شد." in page


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("کد شما {code}", "{code} باید به‌تنهایی در یک سطر باشد"),
        (
            "{code}\n{name}",
            "جای‌نمای «{name}» شناخته نیست؛ فقط این‌ها مجازند: {code}، {registered_at}",
        ),
        ("{code}\n{registered_at:>30}", "جای‌نمای «{registered_at}» باید بی‌قالب‌بندی"),
        ("{code}\nسلام {", "آکولادها جفت نیستند"),
        ("   ", "متن پیامک خالی است."),
        ("{code}\n" + "س" * 200, "این پیامک با کد و زمان نمونه ۴ بخش می‌شود"),
    ],
    ids=["code-not-alone", "unknown-placeholder", "format-spec", "braces", "empty", "4-parts"],
)
async def test_invalid_template_shows_a_persian_error_keeps_the_text_and_saves_nothing(
    as_role: AdminClient, db_pool: Pool, body: str, message: str
) -> None:
    client = await as_role(Role.SUPERUSER)
    before = await stored_body(db_pool)
    response = await save(client, body)
    text = await response.text()
    assert response.status == 422
    assert message in html.unescape(text)
    typed = re.search(r"<textarea[^>]*>([^<]*)</textarea>", text, re.S)
    assert typed
    assert html.unescape(typed.group(1)) == body.strip()
    assert await stored_body(db_pool) == before


async def test_edit_page_lists_placeholders_and_previews_with_a_sample_code_and_now(
    as_role: AdminClient,
) -> None:
    client = await as_role(Role.SUPERUSER)
    text = html.unescape(await (await client.get(EDIT)).text())
    assert "{code}" in text
    assert "{registered_at}" in text
    assert "کد پیگیری ده‌رقمی" in text
    preview = re.search(r'<pre id="sms-preview"[^>]*>([^<]*)</pre>', text, re.S)
    assert preview
    assert SAMPLE_CODE in preview.group(1).splitlines()
    assert f"{today_text()} ساعت " in preview.group(1)
    assert "{code}" not in preview.group(1)
    assert '<script src="/static/sms_counter.js" defer></script>' in text
    assert 'name="_csrf"' in text


async def test_seventy_persian_characters_are_one_part_and_seventy_one_are_two(
    as_role: AdminClient,
) -> None:
    client = await as_role(Role.SUPERUSER)
    # The message as sent is the ten-digit code, a newline and the filler.
    for filler, chars, parts in ((59, "۷۰", "۱"), (60, "۷۱", "۲")):
        assert (await save(client, "{code}\n" + "س" * filler)).status == 303
        text = await (await client.get(EDIT)).text()
        assert shown_count(text) == (chars, "UCS-2", parts)
    list_page = await (await client.get("/admin/sms/templates")).text()
    assert "<td>۷۱</td>" in list_page


def test_part_rule_is_ucs2_seventy_then_sixty_seven_and_gsm_160_then_153() -> None:
    def parts(text: str) -> tuple[str, int, int]:
        c = count(text, {})
        return c.encoding, c.chars, c.parts

    assert parts("س" * 70) == ("UCS-2", 70, 1)
    assert parts("س" * 71) == ("UCS-2", 71, 2)
    assert parts("س" * 134) == ("UCS-2", 134, 2)
    assert parts("س" * 135) == ("UCS-2", 135, 3)
    assert parts("a" * 160) == ("GSM-7", 160, 1)
    assert parts("a" * 161) == ("GSM-7", 161, 2)
    assert parts("{{code}} {code}") == ("GSM-7", 17, 1)  # "{code} {code}": braces cost two


async def test_saving_without_the_csrf_token_is_refused(
    as_role: AdminClient, db_pool: Pool
) -> None:
    client = await as_role(Role.SUPERUSER)
    before = await stored_body(db_pool)
    for data in ({"body": GOOD}, {"body": GOOD, "_csrf": "0" * 64}):
        response = await client.post(EDIT, data=data, allow_redirects=False)
        assert response.status == 403
        assert "توکن امنیتی" in await response.text()
    assert await stored_body(db_pool) == before


async def test_viewers_get_a_read_only_page_and_unknown_keys_are_not_found(
    as_role: AdminClient,
) -> None:
    client = await as_role(Role.NATIONAL_LISTENER)
    text = await (await client.get(EDIT)).text()
    assert "readonly" in text
    assert "ذخیره</button>" not in text
    assert 'href="/admin/notifications"' not in text
    for path in ("/admin/sms/templates/nothing_here", "/admin/sms/templates/Bad-Key"):
        assert (await client.get(path)).status == 404


# --- notifications -------------------------------------------------------------------


async def warn(db_pool: Pool, code: str, name: str, official: str) -> None:
    warning = AtRiskWarning(code, 1, 1404, date(2025, 3, 22), f"{name}: خطر — {official}", "شرح")
    assert await NoticeRepository(db_pool).add_warning(warning, datetime.now(UTC))


async def notification_ids(db_pool: Pool) -> dict[str, int]:
    rows = await db_pool.fetch("SELECT id, subject FROM admin_notifications")
    return {r["subject"].split(":")[0]: r["id"] for r in rows}


async def test_notifications_are_newest_first_fifty_a_page_with_jalali_times(
    as_role: AdminClient, db_pool: Pool
) -> None:
    await db_pool.execute(
        "INSERT INTO admin_notifications (kind, subject, body, created_at)"
        " SELECT 'sms_provider', 'n' || i, 'b', now() - i * interval '1 minute'"
        " FROM generate_series(1, 120) AS i"
    )
    client = await as_role(Role.SUPERUSER)
    pages = []
    for page in (1, 2, 3):
        text = await (await client.get(f"/admin/notifications?page={page}")).text()
        pages.append(re.findall(r"<td>(n\d+)</td>", text))
        assert ("صفحهٔ بعد" in text) is (page < 3)
        assert re.search(r"<td>[۰-۹]{4}/[۰-۹]{2}/[۰-۹]{2} ساعت [۰-۹]{2}:[۰-۹]{2}</td>", text)
    assert [len(p) for p in pages] == [50, 50, 20]
    assert pages[0][:2] == ["n1", "n2"]
    assert pages[2][-1] == "n120"


async def test_province_admin_sees_own_center_and_global_notifications_only(
    as_role: AdminClient, db_pool: Pool
) -> None:
    await warn(db_pool, "hamedan", "همدان", "علی رضایی")
    await warn(db_pool, "tehran", "تهران", "علی همدانی")  # names Hamedan, but not as its center
    await AdminNotifications(db_pool).notify("sms_provider", "credit", "اعتبار تمام شد")
    client = await as_role(Role.PROVINCE_ADMIN)
    text = await (await client.get("/admin/notifications")).text()
    assert "همدان: خطر — علی رضایی" in text
    assert "credit" in text
    assert "(سراسری)" in text
    assert "تهران: خطر" not in text


async def test_marking_read_follows_the_province_and_global_rules(
    as_role: AdminClient, db_pool: Pool, csrf_token_of: Callable[[Client], Awaitable[str]]
) -> None:
    await warn(db_pool, "hamedan", "همدان", "علی رضایی")
    await warn(db_pool, "tehran", "تهران", "حسن تهرانی")
    await AdminNotifications(db_pool).notify("sms_provider", "credit", "اعتبار تمام شد")
    ids = await notification_ids(db_pool)
    client = await as_role(Role.PROVINCE_ADMIN)
    token = await csrf_token_of(client)

    async def mark(key: str) -> int:
        url = f"/admin/notifications/{ids[key]}/read"
        response = await client.post(url, data={"_csrf": token}, allow_redirects=False)
        return response.status

    assert [await mark("همدان"), await mark("credit"), await mark("تهران")] == [303, 403, 404]
    assert await mark("همدان") == 303  # already read: nothing changes
    read = await db_pool.fetch(
        "SELECT subject FROM admin_notifications WHERE acknowledged_at IS NOT NULL"
    )
    assert [r["subject"] for r in read] == ["همدان: خطر — علی رضایی"]
    text = await (await client.get("/admin/notifications")).text()
    assert re.search(rf"خوانده شد: {today_text()} ساعت [۰-۹:]+ — <bdi>province-admin-\d+", text)
    assert (await client.post("/admin/notifications/abc/read", data={"_csrf": token})).status == 404


async def test_a_superuser_marks_global_and_any_center_notifications_read(
    as_role: AdminClient, db_pool: Pool, csrf_token_of: Callable[[Client], Awaitable[str]]
) -> None:
    await warn(db_pool, "tehran", "تهران", "حسن تهرانی")
    await AdminNotifications(db_pool).notify("sms_provider", "credit", "اعتبار تمام شد")
    client = await as_role(Role.SUPERUSER)
    token = await csrf_token_of(client)
    for notification_id in (await notification_ids(db_pool)).values():
        url = f"/admin/notifications/{notification_id}/read"
        response = await client.post(url, data={"_csrf": token}, allow_redirects=False)
        assert response.status == 303
    unread = await db_pool.fetchval(
        "SELECT count(*) FROM admin_notifications WHERE acknowledged_at IS NULL"
    )
    assert unread == 0


# --- who may do what -----------------------------------------------------------------

ENDPOINTS = [
    ("GET", "/admin/sms/templates"),
    ("GET", EDIT),
    ("POST", EDIT),
    ("GET", "/admin/notifications"),
    ("POST", "/admin/notifications/{own}/read"),
]
S, P, N, O, A, I, ANON = (  # noqa: E741
    Role.SUPERUSER, Role.PROVINCE_ADMIN, Role.NATIONAL_LISTENER, Role.OFFICIAL,
    Role.AGENCY_STAFF, Role.INSPECTOR, None,
)  # fmt: skip
# Status per endpoint (in ENDPOINTS order); 302 is the redirect to /login.
MATRIX: dict[Role | None, list[int]] = {
    S: [200, 200, 303, 200, 303],
    P: [200, 200, 403, 200, 303],
    N: [200, 200, 403, 403, 403],
    O: [403, 403, 403, 403, 403],
    A: [403, 403, 403, 403, 403],
    I: [403, 403, 403, 403, 403],
    ANON: [302, 302, 401, 302, 401],
}


def test_the_matrix_covers_every_role() -> None:
    assert set(MATRIX) == {*Role, None}


@pytest.mark.parametrize("role", list(MATRIX), ids=lambda r: r.value if r else "anonymous")
async def test_every_sms_endpoint_answers_each_role_exactly(
    role: Role | None,
    as_role: AdminClient,
    web_client: Client,
    db_pool: Pool,
    csrf_token_of: Callable[[Client], Awaitable[str]],
) -> None:
    await warn(db_pool, "hamedan", "همدان", "علی رضایی")
    own = (await notification_ids(db_pool))["همدان"]
    client = web_client if role is None else await as_role(role)
    token = await csrf_token_of(client)
    got = []
    for method, path in ENDPOINTS:
        data = {"_csrf": token, "body": GOOD} if method == "POST" else None
        url = path.format(own=own)
        response = await client.request(method, url, data=data, allow_redirects=False)
        await response.read()
        got.append(response.status)
        if response.status == 302:
            assert response.headers["Location"].startswith("/login?next=")
    assert got == MATRIX[role]
