"""The desk's softphone credentials: only for the official's own browser desk, never cached."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

import pytest

from samad_ivr.live.hub import LiveHub
from samad_ivr.softphone.settings import SoftphoneSettings
from samad_ivr.storage.accounts import Role, User
from samad_ivr.storage.db import Pool
from samad_ivr.storage.desk_credentials import DeskCredentialRepository
from samad_ivr.storage.roster import RosterRepository
from samad_ivr.web.app import Feature
from samad_ivr.web.desk.views import desk_feature

from .conftest import Client, MakeUser

SECRET = "w" * 40
Login = Callable[..., Awaitable[User]]


@pytest.fixture
def web_features() -> Sequence[Feature]:
    softphone = SoftphoneSettings.from_env(
        {"SAMAD_WEBRTC_WS_URL": "ws://127.0.0.1:8088/ws", "SAMAD_WEBRTC_SECRET": SECRET}
    )
    return [desk_feature(LiveHub(), softphone)]


@pytest.fixture
async def officials(db_pool: Pool, center_ids: dict[str, int]) -> tuple[int, int]:
    roster = RosterRepository(db_pool)
    center = center_ids["hamedan"]
    agency = await roster.ensure_agency(center, "استانداری همدان")
    browser = await roster.add_official(center, "الف", "استاندار", agency, "PJSIP/samad-web-5")
    phone = await roster.add_official(center, "ب", "معاون", agency, "PJSIP/desk-9")
    return browser, phone


@pytest.fixture
def as_official(
    web_client: Client, make_user: MakeUser, login: Login, center_ids: dict[str, int]
) -> Callable[[int], Awaitable[User]]:
    async def log_in(official: int) -> User:
        user = await make_user(Role.OFFICIAL, center_ids["hamedan"], official_id=official)
        return await login(web_client, user)

    return log_in


async def test_an_official_at_a_browser_desk_gets_its_sip_credentials(
    web_client: Client, as_official: Callable[[int], Awaitable[User]], officials: tuple[int, int],
    db_pool: Pool,
) -> None:  # fmt: skip
    await as_official(officials[0])
    response = await web_client.get("/desk/softphone")
    assert response.status == 200
    assert response.headers["Cache-Control"] == "no-store"
    body = await response.json()
    assert body["enabled"] is True
    assert body["ws_url"] == "ws://127.0.0.1:8088/ws"
    assert body["uri"] == "sip:samad-web-5@127.0.0.1"
    assert body["username"] == "samad-web-5"
    stored = await DeskCredentialRepository(db_pool).get("samad-web-5")
    assert stored is not None
    assert (body["realm"], body["ha1"]) == (stored.realm, stored.ha1)
    assert "password" not in body
    page = await (await web_client.get("/desk")).text()
    assert 'id="softphone"' in page
    assert 'src="/static/softphone.js"' in page


async def test_an_official_with_a_hardware_phone_gets_no_softphone(
    web_client: Client, as_official: Callable[[int], Awaitable[User]], officials: tuple[int, int]
) -> None:
    await as_official(officials[1])
    assert await (await web_client.get("/desk/softphone")).json() == {"enabled": False}
    assert 'id="softphone"' not in await (await web_client.get("/desk")).text()


@pytest.mark.parametrize(
    "role", [Role.PROVINCE_ADMIN, Role.NATIONAL_LISTENER, Role.SUPERUSER, Role.INSPECTOR]
)
async def test_no_other_role_gets_desk_credentials(
    web_client: Client, make_user: MakeUser, login: Login, center_ids: dict[str, int], role: Role
) -> None:
    center = None if role in (Role.NATIONAL_LISTENER, Role.SUPERUSER) else center_ids["hamedan"]
    await login(web_client, await make_user(role, center))
    response = await web_client.get("/desk/softphone")
    assert response.status == 403
    assert "password" not in await response.text()


async def test_anonymous_visitors_get_no_credentials(web_client: Client) -> None:
    response = await web_client.get("/desk/softphone", allow_redirects=False)
    assert response.status in (302, 303, 401)
    assert "password" not in await response.text()


async def test_the_sip_library_is_served_as_javascript_modules(web_client: Client) -> None:
    response = await web_client.get("/vendor/sip.js/api/index.js")
    assert response.status == 200
    assert "javascript" in response.headers["Content-Type"]
    assert (await web_client.get("/vendor/sip.js/../package.json")).status in (403, 404)
