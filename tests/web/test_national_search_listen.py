"""Search filters and keyset pages; live listen-in through a fake Asterisk gateway."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from national.factories import make_call

from samad_ivr.national.listen import LiveChannel
from samad_ivr.settings import Settings
from samad_ivr.storage.accounts import Role
from samad_ivr.storage.db import Pool
from samad_ivr.storage.listen_audit import ListenAuditRepository
from samad_ivr.web.app import Feature
from samad_ivr.web.national.routes import national_feature


class FakeGateway:
    def __init__(self) -> None:
        self.channels: list[LiveChannel] = []
        self.originated: list[tuple[str, str]] = []

    async def live_channels(self) -> Sequence[LiveChannel]:
        return self.channels

    async def originate_spy(self, endpoint: str, spy_uniqueid: str, caller_id: str) -> None:
        self.originated.append((endpoint, spy_uniqueid))


@pytest.fixture
def gateway() -> FakeGateway:
    return FakeGateway()


@pytest.fixture
def web_features(gateway: FakeGateway) -> Sequence[Feature]:
    return [national_feature(gateway)]


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings.from_env({
        "SAMAD_DATABASE_URL": database_url, "SAMAD_WEB_BIND": "127.0.0.1:0",
        "SAMAD_RECORDINGS_DIR": str(tmp_path / "recordings"),
        "SAMAD_LISTEN_ENDPOINTS": "PJSIP/listener1",
    })  # fmt: skip


async def test_jalali_dates_in_persian_digits_caller_and_code_filters(
    web_client: Any, make_user: Any, login: Any, db_pool: Pool, center_ids: dict[str, int],
    settings: Settings,
) -> None:  # fmt: skip
    d = settings.recordings_dir
    # 1404-01-01 is 2025-03-21 (Tehran); 09:00 local is 05:30 UTC
    nowruz = datetime(2025, 3, 21, 5, 30, tzinfo=UTC)
    a = await make_call(db_pool, center_ids["hamedan"], d, started_at=nowruz,
                        caller="+989121111111", tracking_code="1234567890")  # fmt: skip
    b = await make_call(db_pool, center_ids["hamedan"], d, started_at=nowruz - timedelta(days=1),
                        caller="+989122222222", status="closed")  # fmt: skip
    await login(web_client, await make_user(Role.SUPERUSER))

    async def ids(**params: str) -> list[int]:
        response = await web_client.get("/api/v1/calls", params=params)
        assert response.status == 200, await response.text()
        return [c["id"] for c in (await response.json())["calls"]]

    assert await ids(**{"from": "۱۴۰۴/۰۱/۰۱", "to": "۱۴۰۴/۰۱/۰۱"}) == [a.call_id]
    assert await ids(**{"from": "1403-12-30", "to": "1403-12-30"}) == [b.call_id]
    assert await ids(caller="۰۹۱۲۲۲۲۲۲۲۲") == [b.call_id]
    assert await ids(tracking_code="۱۲۳۴۵۶۷۸۹۰") == [a.call_id]
    assert await ids(status="closed") == [b.call_id]
    bad = await web_client.get("/api/v1/calls", params={"from": "1404-13-01"})
    assert bad.status == 422
    page = await web_client.get("/national/calls", params={"from": "۱۴۰۴/۰۱/۰۱"})
    text = await page.text()
    assert page.status == 200
    assert "۱۴۰۴/۰۱/۰۱" in text
    assert 'dir="rtl"' in text


async def test_keyset_pages_cover_every_call_once(
    web_client: Any, make_user: Any, login: Any, db_pool: Pool, center_ids: dict[str, int],
    settings: Settings,
) -> None:  # fmt: skip
    same = datetime(2025, 5, 1, 6, 0, tzinfo=UTC)
    made = [await make_call(db_pool, center_ids["tehran"], settings.recordings_dir,
                            started_at=same if i % 2 else None) for i in range(7)]  # fmt: skip
    await login(web_client, await make_user(Role.NATIONAL_LISTENER))
    seen: list[int] = []
    params: dict[str, str] = {"limit": "3"}
    while True:
        body = await (await web_client.get("/api/v1/calls", params=params)).json()
        seen += [c["id"] for c in body["calls"]]
        if body["next_cursor"] is None:
            break
        params["cursor"] = body["next_cursor"]
    assert sorted(seen) == sorted(m.call_id for m in made)
    assert len(seen) == 7
    assert (await web_client.get("/api/v1/calls", params={"cursor": "bogus"})).status == 422
    assert "search_calls" in (await (await web_client.get("/api/openapi.json")).text())


@pytest.mark.parametrize(
    ("role", "province", "allowed"),
    [
        (Role.NATIONAL_LISTENER, None, True),
        (Role.SUPERUSER, None, True),
        (Role.PROVINCE_ADMIN, "hamedan", True),
        (Role.PROVINCE_ADMIN, "tehran", False),
        (Role.OFFICIAL, "hamedan", False),
        (Role.AGENCY_STAFF, "hamedan", False),
        (Role.INSPECTOR, "hamedan", False),
    ],
)
async def test_listen_in_is_allowed_only_to_listeners_superusers_and_the_province_admin(
    web_client: Any, make_user: Any, login: Any, csrf_token_of: Any, db_pool: Pool,
    center_ids: dict[str, int], settings: Settings, gateway: FakeGateway,
    role: Role, province: str | None, allowed: bool,
) -> None:  # fmt: skip
    call = await make_call(db_pool, center_ids["hamedan"], settings.recordings_dir, live=True)
    gateway.channels = [
        LiveChannel("PJSIP/other-0001", "1700000000.999", "1700000000.999"),
        LiveChannel("Local/s@samad-inbound-0001;2", call.uniqueid, call.uniqueid),
    ]
    user = await make_user(role, center_ids[province] if province else None)
    await ListenAuditRepository(db_pool).set_listen_endpoint(user.id, "PJSIP/listener1")
    await login(web_client, user)
    token = await csrf_token_of(web_client)
    response = await web_client.post(
        f"/api/v1/calls/{call.call_id}/listen", headers={"X-CSRF-Token": token}
    )
    async with db_pool.acquire() as conn:
        rows = await conn.fetch("SELECT action, call_id FROM listen_audit")
    if allowed:
        assert response.status == 200, await response.text()
        assert gateway.originated == [("PJSIP/listener1", call.uniqueid)]
        assert [(r["action"], r["call_id"]) for r in rows] == [("listen_live", call.call_id)]
    else:
        assert response.status == 403
        assert gateway.originated == []
        assert rows == []


async def test_listen_in_refuses_a_call_without_a_live_channel(
    web_client: Any, make_user: Any, login: Any, csrf_token_of: Any, db_pool: Pool,
    center_ids: dict[str, int], settings: Settings, gateway: FakeGateway,
) -> None:  # fmt: skip
    call = await make_call(db_pool, center_ids["hamedan"], settings.recordings_dir, live=True)
    gateway.channels = [LiveChannel("PJSIP/x-1", "1700000000.999", "1700000000.999")]
    user = await make_user(Role.NATIONAL_LISTENER)
    await ListenAuditRepository(db_pool).set_listen_endpoint(user.id, "PJSIP/listener1")
    await login(web_client, user)
    token = await csrf_token_of(web_client)
    url = f"/api/v1/calls/{call.call_id}/listen"
    response = await web_client.post(url, headers={"X-CSRF-Token": token})
    assert response.status == 409
    assert gateway.originated == []
    assert (await web_client.post(url)).status == 403  # no CSRF token
