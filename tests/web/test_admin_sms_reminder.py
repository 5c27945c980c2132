"""The agency's reminder SMS is an admin-editable text like the tracking-code one."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest

from samad_ivr.sms.templates import DEFAULT_AGENCY_REMINDER, TemplateRepository
from samad_ivr.storage.db import Pool
from samad_ivr.web.admin.routes import setup_admin
from samad_ivr.web.admin.sms import setup_admin_sms
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

EDIT = "/admin/sms/templates/agency_reminder"


@pytest.fixture(name="web_features")
def web_features_fixture() -> Sequence[Feature]:
    return (setup_admin, setup_admin_sms)


async def save(client: Client, body: str) -> Any:
    token = await csrf(client, EDIT)
    return await client.post(EDIT, data={"body": body, "_csrf": token}, allow_redirects=False)


async def test_the_reminder_text_is_listed_with_its_shipped_body(as_role: AdminClient) -> None:
    client = await as_role(Role.SUPERUSER)
    text = await (await client.get("/admin/sms/templates")).text()
    assert "agency_reminder" in text
    assert "یادآوری مهلت پاسخ که روز یادآوری برای شمارهٔ همراه دستگاه" in text
    page = await (await client.get(EDIT)).text()
    assert "{due_on}" in page
    assert "آخرین روز مهلت پاسخ دستگاه" in page
    assert "{answered_at}" not in page  # only this template's own placeholders are offered


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            "یادآوری\n{code}\n{agency}",
            "جای‌نمای «{agency}» شناخته نیست؛ فقط این‌ها مجازند: {code}، {due_on}.",
        ),
        ("یادآوری درخواست {code} تا {due_on}", "{code} باید به‌تنهایی در یک سطر باشد"),
    ],
    ids=["placeholder-of-another-text", "code-not-alone"],
)
async def test_a_reminder_text_the_job_could_not_send_well_is_refused(
    as_role: AdminClient, db_pool: Pool, body: str, message: str
) -> None:
    client = await as_role(Role.SUPERUSER)
    response = await save(client, body)
    assert response.status == 422
    assert message in await response.text()
    assert await TemplateRepository(db_pool).body_of("agency_reminder") == DEFAULT_AGENCY_REMINDER


async def test_a_saved_reminder_text_is_what_the_job_reads(
    as_role: AdminClient, db_pool: Pool
) -> None:
    client = await as_role(Role.SUPERUSER)
    response = await save(client, "سامد\r\n{code}\r\nمهلت: {due_on}")
    assert response.status == 303
    assert (
        await TemplateRepository(db_pool).body_of("agency_reminder")
        == "سامد\n{code}\nمهلت: {due_on}"
    )
