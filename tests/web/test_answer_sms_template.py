"""The citizen's "agency answered" SMS text is on the admin templates page and editable
like the tracking-code text; what an admin saves is what the next answer sends."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from samad_ivr.sms.templates import TemplateRepository
from samad_ivr.storage.db import Pool
from samad_ivr.web.admin.routes import setup_admin
from samad_ivr.web.admin.sms import setup_admin_sms
from samad_ivr.web.app import Feature
from samad_ivr.web.security import Role

from .test_admin_support import (  # noqa: F401  (fixtures)
    AdminClient,
    as_role_fixture,
    csrf,
    settings_fixture,
    world_fixture,
)

EDIT = "/admin/sms/templates/request_answered"


@pytest.fixture(name="web_features")
def web_features_fixture() -> Sequence[Feature]:
    return (setup_admin, setup_admin_sms)


async def test_the_answer_sms_is_listed_and_edited_with_its_own_placeholders(
    as_role: AdminClient, db_pool: Pool
) -> None:
    client = await as_role(Role.SUPERUSER)
    listing = await (await client.get("/admin/sms/templates")).text()
    assert "request_answered" in listing
    assert "خبر پاسخ دستگاه" in listing
    page = await (await client.get(EDIT)).text()
    assert "{agency}" in page
    assert "{answered_at}" in page
    token = await csrf(client, EDIT)
    inline = await client.post(EDIT, data={"_csrf": token, "body": "پاسخ {agency}: {code}"})
    assert inline.status == 422
    assert "به‌تنهایی در یک سطر" in await inline.text()
    unknown = await client.post(EDIT, data={"_csrf": token, "body": "{code}\n{registered_at}"})
    assert unknown.status == 422
    good = "سامد: پاسخ {agency} رسید.\n{code}\n{answered_at}"
    saved = await client.post(EDIT, data={"_csrf": token, "body": good}, allow_redirects=False)
    assert saved.status == 303
    assert await TemplateRepository(db_pool).body_of("request_answered") == good
