"""/status: the tracking code and the last four digits show a request to its citizen;
a wrong pair tells nothing about which half was wrong; tries are limited in PostgreSQL."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from samad_ivr.settings import Settings
from samad_ivr.storage.attachments import AttachmentStore
from samad_ivr.storage.db import Pool
from samad_ivr.web.app import Feature, WebDeps, create_app
from samad_ivr.web.config import WEB_SETTINGS, WebSettings
from samad_ivr.web.public.status import status_feature
from samad_ivr.web.public.status_links import attachment_url
from samad_ivr.web.security import setup_security

from .citizen_support import (
    CITIZEN_MOBILE,
    DESK_NOTE,
    OFFICIAL_NAME,
    PDF,
    SUMMARY,
    CitizenRequest,
    citizen_request,
    tracking_code,
)
from .conftest import Client, login_form_token, running_client

ANSWER = "پاسخ ادارهٔ کل: تسهیلات مسکن شما در نوبت پرداخت قرار گرفت."
SECRET = "s" * 40  # tests/web/conftest.py's web secret
LINK = re.compile(r'href="(/status/attachments/\d+\?exp=\d+&amp;sig=[0-9a-f]{64})"')


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings.from_env({
        "SAMAD_DATABASE_URL": database_url, "SAMAD_WEB_BIND": "127.0.0.1:0",
        "SAMAD_ATTACHMENTS_DIR": str(tmp_path / "attachments"),
        "SAMAD_STATUS_WEB_PER_ADDRESS_HOUR": "12",
        "SAMAD_STATUS_WEB_FAILURES_PER_CODE_DAY": "4",
    })  # fmt: skip


@pytest.fixture
def web_features() -> Sequence[Feature]:
    return [status_feature()]


@pytest.fixture
async def answered(db_pool: Pool, settings: Settings) -> CitizenRequest:
    store = AttachmentStore(settings.lifecycle.attachments_dir)
    return await citizen_request(db_pool, answer=ANSWER, attachment_store=store)


async def _look_up(client: Client, code: str, digits: str) -> tuple[int, str]:
    token = await login_form_token(client, "/status")
    form = {"_csrf": token, "code": code, "digits": digits}
    response = await client.post("/status", data=form)
    return response.status, await response.text()


def _without_token(body: str, typed_code: str) -> str:
    """The page without what differs on every response (CSRF token, CSP nonce) and
    without the code the citizen typed, which the form keeps in its field."""
    body = body.replace(f'value="{typed_code}"', 'value="…"')
    return re.sub(r'value="[0-9a-f]{64}"', "", re.sub(r'nonce="[^"]+"', "", body))


async def test_the_right_pair_shows_status_dates_deadline_and_the_answer(
    web_client: Client, answered: CitizenRequest
) -> None:
    status, body = await _look_up(web_client, answered.code, CITIZEN_MOBILE[-4:])
    assert status == 200
    assert 'dir="rtl"' in body
    assert "پاسخ داده شده" in body  # the status in Persian
    assert "۱۴۰۵/۰۹/۱۹" in body  # the deadline, 10 Dec 2026, Jalali in Persian digits
    assert "".join(chr(0x6F0 + int(d)) for d in answered.code) in body
    assert ANSWER in body
    assert "نامهٔ پاسخ.pdf" in body
    for secret in (CITIZEN_MOBILE, CITIZEN_MOBILE[1:], SUMMARY, DESK_NOTE, OFFICIAL_NAME):
        assert secret not in body
    assert "recording" not in body
    assert "audio" not in body


async def test_persian_digits_and_spaces_are_accepted(
    web_client: Client, answered: CitizenRequest
) -> None:
    persian = " ".join(
        "".join(chr(0x6F0 + int(d)) for d in answered.code[i : i + 5]) for i in (0, 5)
    )
    status, body = await _look_up(web_client, persian, "۲۲۳۳")
    assert status == 200
    assert ANSWER in body


async def test_the_attachment_downloads_through_its_signed_link_only(
    web_client: Client, answered: CitizenRequest
) -> None:
    _, body = await _look_up(web_client, answered.code, "2233")
    [link] = LINK.findall(body)
    response = await web_client.get(link.replace("&amp;", "&"))
    assert response.status == 200
    assert (await response.read()).startswith(PDF)
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert response.headers["Cache-Control"] == "private, no-store"

    attachment_id = int(link.split("/")[3].split("?")[0])
    tampered = link.replace("&amp;", "&")[:-1] + ("0" if link[-1] != "0" else "1")
    other = attachment_url(SECRET, attachment_id, int(time.time()) + 60).replace(
        f"/{attachment_id}?", f"/{attachment_id + 1}?"
    )
    expired = attachment_url(SECRET, attachment_id, int(time.time()) - 1)
    persian_id = "".join(chr(0x6F0 + int(d)) for d in str(attachment_id))
    persian = link.replace("&amp;", "&").replace(f"/{attachment_id}?", f"/{persian_id}?")
    bare = f"/status/attachments/{attachment_id}"
    for url in (tampered, other, expired, bare, persian, bare + "?exp=99999999999999&sig=x"):
        assert (await web_client.get(url)).status == 404, url


async def test_a_wrong_code_and_wrong_digits_get_the_very_same_answer(
    web_client: Client, answered: CitizenRequest, db_pool: Pool
) -> None:
    unknown = tracking_code(999_999)
    wrong_code = await _look_up(web_client, unknown, CITIZEN_MOBILE[-4:])
    wrong_digits = await _look_up(web_client, answered.code, "0000")
    assert wrong_code[0] == wrong_digits[0] == 404
    assert _without_token(wrong_code[1], unknown) == _without_token(wrong_digits[1], answered.code)
    assert f'value="{answered.code}"' in wrong_digits[1]  # the code stays in its field
    assert "پیدا نشد" in wrong_code[1]
    assert ANSWER not in wrong_digits[1]
    # The same work was done for both: one stored try each, neither matched.
    async with db_pool.acquire() as conn:
        rows = await conn.fetch("SELECT code, matched FROM status_web_attempts ORDER BY id")
    assert [(r["code"], r["matched"]) for r in rows] == [(unknown, False), (answered.code, False)]


async def test_a_request_without_a_caller_number_opens_for_no_digits(
    web_client: Client, db_pool: Pool
) -> None:
    request = await citizen_request(db_pool, caller="+989180000001")
    async with db_pool.acquire() as conn:
        await conn.execute("UPDATE requests SET caller_e164 = NULL WHERE id = $1", request.id)
    assert (await _look_up(web_client, request.code, "0001"))[0] == 404


async def test_malformed_and_mistyped_codes_are_refused_before_any_lookup(
    web_client: Client, answered: CitizenRequest, db_pool: Pool
) -> None:
    status, body = await _look_up(web_client, "12345", "2233")
    assert status == 400
    assert "۱۰ رقم" in body
    mistyped = answered.code[:-1] + str((int(answered.code[-1]) + 1) % 10)
    status, body = await _look_up(web_client, mistyped, "2233")
    assert status == 400
    assert "کد پیگیری درست نیست" in body
    async with db_pool.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM status_web_attempts") == 0


async def test_wrong_pairs_on_one_code_lock_it_even_for_the_right_digits(
    web_client: Client, answered: CitizenRequest
) -> None:
    for digits in ("0000", "0001", "0002", "0003"):  # SAMAD_STATUS_WEB_FAILURES_PER_CODE_DAY=4
        assert (await _look_up(web_client, answered.code, digits))[0] == 404
    status, body = await _look_up(web_client, answered.code, "2233")
    assert status == 429
    assert ANSWER not in body
    assert "تعداد تلاش‌ها بیش از حد" in body
    # An unknown code locked the same way gets the same page: the limit reveals nothing.
    unknown = tracking_code(888_888)
    for digits in ("0000", "0001", "0002", "0003"):
        await _look_up(web_client, unknown, digits)
    locked_unknown = await _look_up(web_client, unknown, "2233")
    assert locked_unknown[0] == 429
    assert _without_token(locked_unknown[1], unknown) == _without_token(body, answered.code)


async def test_one_address_gets_a_limited_number_of_tries_per_hour(
    web_client: Client, db_pool: Pool
) -> None:
    codes = [(await citizen_request(db_pool, answer=None)).code for _ in range(2)]
    for n in range(12):  # SAMAD_STATUS_WEB_PER_ADDRESS_HOUR=12
        assert (await _look_up(web_client, codes[n % 2], "2233"))[0] == 200
    assert (await _look_up(web_client, codes[0], "2233"))[0] == 429


async def test_parallel_tries_from_one_address_take_exactly_the_limit(
    web_client: Client, answered: CitizenRequest
) -> None:
    token = await login_form_token(web_client, "/status")
    form = {"_csrf": token, "code": answered.code, "digits": "2233"}

    async def one() -> int:
        response = await web_client.post("/status", data=form)
        return response.status

    statuses = await asyncio.gather(*(one() for _ in range(20)))
    assert sorted(statuses).count(200) == 12
    assert statuses.count(429) == 8


async def test_two_instances_share_one_allowance(
    web_client: Client, answered: CitizenRequest, db_pool: Pool, settings: Settings
) -> None:
    """Tries alternate between two web instances on one database: the per-code limit
    (4 wrong pairs) is reached after four tries in all, not four on each."""

    def configure(app: Any) -> None:
        app[WEB_SETTINGS] = WebSettings.from_env({"SAMAD_WEB_SECRET": SECRET})

    deps = WebDeps(settings=settings, pool=db_pool)
    other_app = create_app(deps, features=[configure, setup_security, status_feature()])
    async with running_client(other_app) as other:
        for n in range(4):
            client = web_client if n % 2 else other
            assert (await _look_up(client, answered.code, f"000{n}"))[0] == 404
        assert (await _look_up(web_client, answered.code, "2233"))[0] == 429
        assert (await _look_up(other, answered.code, "2233"))[0] == 429


async def test_the_form_needs_its_csrf_token(web_client: Client, answered: CitizenRequest) -> None:
    await web_client.get("/status")
    response = await web_client.post("/status", data={"code": answered.code, "digits": "2233"})
    assert response.status == 403
    assert ANSWER not in await response.text()


async def test_the_form_page_is_persian_rtl_and_never_cached(web_client: Client) -> None:
    response = await web_client.get("/status")
    body = await response.text()
    assert response.status == 200
    assert '<html lang="fa" dir="rtl">' in body
    assert 'name="viewport"' in body
    assert 'inputmode="numeric"' in body
    assert response.headers["Cache-Control"] == "no-store"


async def test_tries_older_than_their_windows_count_for_nothing_and_are_pruned(
    web_client: Client, answered: CitizenRequest, db_pool: Pool
) -> None:
    async with db_pool.acquire() as conn:
        await conn.execute(
            """INSERT INTO status_web_attempts (address, code, matched, at)
               SELECT '127.0.0.1', $1, false, now() - interval '3 days' - n * interval '1 s'
               FROM generate_series(1, 50) n""",
            answered.code,
        )
    status, body = await _look_up(web_client, answered.code, "2233")
    assert status == 200
    assert ANSWER in body
    async with db_pool.acquire() as conn:
        left = await conn.fetchval("SELECT count(*) FROM status_web_attempts")
    assert left == 1  # only this try; the 50 old ones went with it
