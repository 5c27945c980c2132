"""Issue 11 in real headless Chromium: an agency user answers a request with an
attachment (it becomes `answered` and the citizen's SMS is queued); an inspector of the
province sends it back with a new deadline typed in Persian digits; the agency user sees
the new deadline (Jalali, Persian digits) on their list and on the request page.
Screenshots: test-artifacts/lifecycle-agency-answer.png, lifecycle-inspector.png,
lifecycle-agency-sent-back.png."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from inspector.cases import make_case
from lifecycle.factories import make_agency
from playwright.async_api import Browser, Page

from samad_ivr.admin.jalali import jalali_text
from samad_ivr.domain.deadlines import DeadlinePolicy
from samad_ivr.domain.lifecycle import Status
from samad_ivr.settings import Settings
from samad_ivr.storage.accounts import AccountRepository, NewUser, Role
from samad_ivr.storage.db import Pool
from samad_ivr.storage.lifecycle import RequestLifecycle
from samad_ivr.storage.roster import RosterRepository
from samad_ivr.web.agency.routes import setup_agency
from samad_ivr.web.auth_views import hash_password
from samad_ivr.web.inspector.routes import inspector_feature

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
PASSWORD = "browser lifecycle password"
# The smallest valid PNG (1×1, grey): the portal checks the type from the content.
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAAAAAA6fptVAAAACklEQVR4nGNgAAAAAgABSK+kcQAAAABJRU5ErkJggg=="
)


@pytest.fixture
async def served(
    database_url: str, db_pool: Pool, serve_app: Any, tmp_path: Path
) -> AsyncIterator[tuple[str, int]]:
    settings = Settings.from_env({
        "SAMAD_DATABASE_URL": database_url, "SAMAD_WEB_BIND": "127.0.0.1:0",
        "SAMAD_ATTACHMENTS_DIR": str(tmp_path / "attachments"),
    })  # fmt: skip
    center = await RosterRepository(db_pool).ensure_center("hamedan", "همدان", "samad-hamedan")
    agency = await make_agency(db_pool, center, "ادارهٔ کل راه و شهرسازی", "+989181110000")
    lifecycle = RequestLifecycle(db_pool, DeadlinePolicy())
    request_id = await make_case(
        db_pool, lifecycle, center, agency, Status.ASSIGNED, assigned_days_ago=2,
        now=datetime.now(UTC), summary="وام مسکن ملی پس از دو سال پرداخت نشده است",
    )  # fmt: skip
    accounts, secret = AccountRepository(db_pool), await hash_password(PASSWORD)
    for user in (
        NewUser("agency-roads", "کارشناس راه و شهرسازی", Role.AGENCY_STAFF, center, None, agency),
        NewUser("inspector-maryam", "مریم بازرس", Role.INSPECTOR, center),
    ):
        await accounts.create_user(user, secret)
    async with serve_app(settings, db_pool, [setup_agency, inspector_feature()]) as url:
        yield url, request_id


async def _logged_in(
    browser: Browser, base: str, username: str, path: str, landing: str | None = None
) -> Page:
    page = await browser.new_page(locale="fa-IR", viewport={"width": 1280, "height": 900})
    page.on("pageerror", lambda exc: pytest.fail(f"script error on {page.url}: {exc}"))
    await page.goto(base + path)
    await page.fill("#username", username)
    await page.fill("#password", PASSWORD)
    await page.click("button[type=submit]")
    await page.wait_for_url(landing or base + path)
    return page


async def _row(pool: Pool, request_id: int) -> dict[str, Any]:
    async with pool.acquire() as conn:
        row = await conn.fetchrow(
            "SELECT r.status, r.due_on, r.caller_e164,"
            " array(SELECT s.destination FROM sms_outbox s WHERE s.request_id = r.id"
            "       ORDER BY s.id) AS sms,"
            " (SELECT count(*) FROM answer_attachments a WHERE a.request_id = r.id) AS files"
            " FROM requests r WHERE r.id = $1",
            request_id,
        )
    assert row is not None
    return dict(row)


async def test_an_answer_sent_back_by_an_inspector_returns_to_the_agency_with_a_new_deadline(
    served: tuple[str, int], browser: Browser, db_pool: Pool, tmp_path: Path
) -> None:
    base, request_id = served
    ARTIFACTS.mkdir(exist_ok=True)
    attachment = tmp_path / "پاسخ-اداره.png"
    attachment.write_bytes(PNG)

    agency = await _logged_in(browser, base, "agency-roads", f"/agency/requests/{request_id}")
    await agency.fill("#answer-body", "پرونده بررسی شد؛ وام در صف پرداخت بانک است.")
    await agency.set_input_files("input[name=files]", str(attachment))
    await agency.click("section.answer-form button[type=submit]")
    await agency.wait_for_load_state()
    await agency.screenshot(path=str(ARTIFACTS / "lifecycle-agency-answer.png"), full_page=True)
    answered = await _row(db_pool, request_id)
    assert answered["status"] == "answered"
    assert answered["files"] == 1
    assert answered["caller_e164"] in answered["sms"]  # the citizen is told by SMS

    # The console sends an inspector to their own province's queues.
    inspector = await _logged_in(
        browser, base, "inspector-maryam", "/inspector", "**/inspector/centers/*"
    )
    await inspector.click("a[data-queue=answered]")
    await inspector.click(f"tr[data-request-id='{request_id}'] a")
    await inspector.wait_for_url(f"{base}/inspector/requests/{request_id}")
    assert "پرونده بررسی شد" in await inspector.locator(".answers").inner_text()
    form = inspector.locator("form.send-back")
    await form.locator("input[name=days]").fill("۵")
    await form.locator("textarea[name=note]").fill("زمان دقیق پرداخت وام را بنویسید.")
    await form.locator("button[type=submit]").click()
    await inspector.wait_for_url(f"{base}/inspector/requests/{request_id}?done=send_back")
    assert "به دستگاه اطلاع داده شد" in await inspector.locator(".notice").inner_text()
    await inspector.screenshot(path=str(ARTIFACTS / "lifecycle-inspector.png"), full_page=True)

    sent_back = await _row(db_pool, request_id)
    assert sent_back["status"] == "assigned"
    assert "+989181110000" in sent_back["sms"]  # the agency's contact mobile
    due = jalali_text(sent_back["due_on"])  # Persian digits, e.g. ۱۴۰۵/۰۹/۱۶
    await agency.goto(f"{base}/agency")
    row = agency.locator(f"tr[data-request-id='{request_id}']")
    assert due in await row.inner_text()
    assert "زمان دقیق پرداخت وام" in await agency.locator(".notices").inner_text()
    await agency.goto(f"{base}/agency/requests/{request_id}")
    assert due in await agency.locator(".deadline").inner_text()
    await agency.screenshot(path=str(ARTIFACTS / "lifecycle-agency-sent-back.png"), full_page=True)
