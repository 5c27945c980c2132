"""Item 4 of issue 15: listen-in rings only the listeners' own phones, and says which."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest
from national.factories import make_call

from samad_ivr.national.listen import LiveChannel
from samad_ivr.settings import Settings, SettingsError
from samad_ivr.storage.accounts import Role
from samad_ivr.storage.db import Pool
from samad_ivr.storage.listen_audit import ListenAuditRepository
from samad_ivr.web.app import Feature
from samad_ivr.web.national.routes import national_feature

ALLOWED = "PJSIP/listener-1,Local/l*@samad-listeners"


class FakeGateway:
    def __init__(self) -> None:
        self.channels: list[LiveChannel] = []
        self.originated: list[str] = []

    async def live_channels(self) -> Sequence[LiveChannel]:
        return self.channels

    async def originate_spy(self, endpoint: str, spy_uniqueid: str, caller_id: str) -> None:
        self.originated.append(endpoint)


@pytest.fixture
def gateway() -> FakeGateway:
    return FakeGateway()


@pytest.fixture
def web_features(gateway: FakeGateway) -> Sequence[Feature]:
    return [national_feature(gateway)]


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings.from_env({
        "SAMAD_DATABASE_URL": database_url, "SAMAD_WEB_BIND": "127.0.0.1:0",
        "SAMAD_LISTEN_ENDPOINTS": ALLOWED,
    })  # fmt: skip


@pytest.mark.parametrize(
    "endpoint", ["PJSIP/samad-trunk", "Local/09121234567@samad-outbound", "PJSIP/listener-10",
                 "Local/l1@samad-inbound"],
)  # fmt: skip
async def test_a_listener_cannot_set_an_endpoint_outside_the_allow_list(
    web_client: Any, make_user: Any, login: Any, csrf_token_of: Any, db_pool: Pool,
    endpoint: str,
) -> None:  # fmt: skip
    user = await make_user(Role.NATIONAL_LISTENER)
    await login(web_client, user)
    token = await csrf_token_of(web_client)
    response = await web_client.post(
        "/national/listen-endpoint", data={"_csrf": token, "endpoint": endpoint},
        allow_redirects=False,
    )  # fmt: skip
    assert response.status == 422
    assert "فهرست" in await response.text()
    assert await ListenAuditRepository(db_pool).listen_endpoint(user.id) is None


async def test_an_allowed_endpoint_and_a_pattern_match_are_saved(
    web_client: Any, make_user: Any, login: Any, csrf_token_of: Any, db_pool: Pool
) -> None:
    user = await make_user(Role.NATIONAL_LISTENER)
    await login(web_client, user)
    for endpoint in ("PJSIP/listener-1", "Local/l42@samad-listeners"):
        token = await csrf_token_of(web_client)
        response = await web_client.post(
            "/national/listen-endpoint", data={"_csrf": token, "endpoint": endpoint},
            allow_redirects=False,
        )  # fmt: skip
        assert response.status == 303, await response.text()
        assert await ListenAuditRepository(db_pool).listen_endpoint(user.id) == endpoint


async def listen(web_client: Any, csrf_token_of: Any, call_id: int) -> Any:
    token = await csrf_token_of(web_client)
    return await web_client.post(f"/api/v1/calls/{call_id}/listen", headers={"X-CSRF-Token": token})


async def test_a_stored_endpoint_no_longer_allowed_is_never_rung(
    web_client: Any, make_user: Any, login: Any, csrf_token_of: Any, db_pool: Pool,
    center_ids: dict[str, int], settings: Settings, gateway: FakeGateway,
) -> None:  # fmt: skip
    call = await make_call(db_pool, center_ids["hamedan"], settings.recordings_dir, live=True)
    gateway.channels = [LiveChannel("Local/s@samad-inbound-0001;2", call.uniqueid, call.uniqueid)]
    user = await make_user(Role.SUPERUSER)
    # set before the allow-list existed (valid syntax, but a trunk)
    await ListenAuditRepository(db_pool).set_listen_endpoint(user.id, "PJSIP/samad-trunk")
    await login(web_client, user)
    response = await listen(web_client, csrf_token_of, call.call_id)
    assert response.status == 403
    assert gateway.originated == []
    assert await db_pool.fetchval("SELECT count(*) FROM listen_audit") == 0


async def test_each_listen_audit_row_records_the_endpoint_that_heard_the_call(
    web_client: Any, make_user: Any, login: Any, csrf_token_of: Any, db_pool: Pool,
    center_ids: dict[str, int], settings: Settings, gateway: FakeGateway,
) -> None:  # fmt: skip
    call = await make_call(db_pool, center_ids["hamedan"], settings.recordings_dir, live=True)
    gateway.channels = [LiveChannel("Local/s@samad-inbound-0001;2", call.uniqueid, call.uniqueid)]
    user = await make_user(Role.NATIONAL_LISTENER)
    await ListenAuditRepository(db_pool).set_listen_endpoint(user.id, "Local/l7@samad-listeners")
    await login(web_client, user)
    response = await listen(web_client, csrf_token_of, call.call_id)
    assert response.status == 200, await response.text()
    assert gateway.originated == ["Local/l7@samad-listeners"]
    row = await db_pool.fetchrow("SELECT action, endpoint FROM listen_audit")
    assert row is not None
    assert (row["action"], row["endpoint"]) == ("listen_live", "Local/l7@samad-listeners")
    page = await (await web_client.get("/national/audit")).text()
    assert "Local/l7@samad-listeners" in page


def test_an_allow_list_entry_that_is_not_an_endpoint_is_a_settings_error() -> None:
    for bad in ("PJSIP/a,qB", "PJSIP/x y", "DAHDI/1", "Local/*"):
        with pytest.raises(SettingsError, match="SAMAD_LISTEN_ENDPOINTS"):
            Settings.from_env({"SAMAD_LISTEN_ENDPOINTS": bad})


def test_with_no_allow_list_nobody_may_be_rung() -> None:
    assert Settings.from_env({}).listen_endpoints == ()
