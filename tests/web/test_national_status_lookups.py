"""The codes typed for status by phone show on their call in the national search."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from national.factories import make_call

from samad_ivr.settings import Settings
from samad_ivr.storage.accounts import Role
from samad_ivr.storage.db import Pool
from samad_ivr.web.app import Feature
from samad_ivr.web.national.routes import national_feature

from .test_national_search_listen import FakeGateway


@pytest.fixture
def web_features() -> Sequence[Feature]:
    return [national_feature(FakeGateway())]


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings.from_env({
        "SAMAD_DATABASE_URL": database_url, "SAMAD_WEB_BIND": "127.0.0.1:0",
        "SAMAD_RECORDINGS_DIR": str(tmp_path / "recordings"),
    })  # fmt: skip


async def test_a_call_s_status_lookups_show_on_its_row_and_in_the_api(
    web_client: Any, make_user: Any, login: Any, db_pool: Pool, center_ids: dict[str, int],
    settings: Settings,
) -> None:  # fmt: skip
    looked = await make_call(db_pool, center_ids["hamedan"], settings.recordings_dir)
    plain = await make_call(db_pool, center_ids["hamedan"], settings.recordings_dir)
    at = datetime(2025, 3, 5, 6, 30, tzinfo=UTC)
    for typed, outcome, valid in (
        ("1234567891", "invalid", False),
        ("1234567890", "not_found", True),
    ):
        await db_pool.execute(
            "INSERT INTO status_lookups (call_uniqueid, caller_bucket, typed, outcome, valid,"
            " found, at) VALUES ($1, 'unknown', $2, $3, $4, false, $5)",
            looked.uniqueid, typed, outcome, valid, at,
        )  # fmt: skip
    await login(web_client, await make_user(Role.SUPERUSER))

    response = await web_client.get("/api/v1/calls")
    assert response.status == 200
    calls = {c["id"]: c for c in (await response.json())["calls"]}
    assert calls[looked.call_id]["status_lookups"] == [
        {"typed": "1234567891", "outcome": "invalid"},
        {"typed": "1234567890", "outcome": "not_found"},
    ]
    assert calls[plain.call_id]["status_lookups"] == []

    page = await (await web_client.get("/national/calls")).text()
    row = page.split(f'data-call-id="{looked.call_id}"')[1].split("</tr>")[0]
    assert "پیگیری تلفنی" in row
    assert "۱۲۳۴۵۶۷۸۹۱" in row
    assert "(کد نامعتبر)" in row
    assert "(پیدا نشد)" in row
    other = page.split(f'data-call-id="{plain.call_id}"')[1].split("</tr>")[0]
    assert "پیگیری تلفنی" not in other
