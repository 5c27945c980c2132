"""The desk: /desk/ws authentication and scope, the caller card, notes in both orders."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import pytest

from samad_ivr.live.hub import LiveHub
from samad_ivr.storage.accounts import Role, User
from samad_ivr.storage.calls import CallRepository, CallUpsert
from samad_ivr.storage.db import Pool
from samad_ivr.storage.desk import DeskRepository
from samad_ivr.storage.requests import RequestRepository
from samad_ivr.storage.roster import RosterRepository
from samad_ivr.web.app import Feature
from samad_ivr.web.desk.views import desk_feature

from .conftest import Client, MakeUser

DESK = "PJSIP/desk-7"
Login = Callable[..., Awaitable[User]]
CsrfOf = Callable[[Client], Awaitable[str]]


@pytest.fixture
def hub() -> LiveHub:
    return LiveHub()


@pytest.fixture
def web_features(hub: LiveHub) -> Sequence[Feature]:
    return [desk_feature(hub)]


@dataclass(frozen=True)
class Seeded:
    center: int
    other_center: int
    agency: int
    official: int
    other_official: int


@pytest.fixture
async def seeded(db_pool: Pool, center_ids: dict[str, int]) -> Seeded:
    roster = RosterRepository(db_pool)
    center = center_ids["hamedan"]
    agency = await roster.ensure_agency(center, "اداره کل راه و شهرسازی")
    official = await roster.add_official(center, "استاندار", "استاندار", agency, DESK)
    other = await roster.add_official(center, "معاون", "معاون", agency, "PJSIP/desk-8")
    return Seeded(center, center_ids["tehran"], agency, official, other)


async def add_call(
    db_pool: Pool, seeded: Seeded, uniqueid: str, caller: str = "09181234501", **kw: Any
) -> int:
    return await CallRepository(db_pool).upsert_call(
        CallUpsert(
            uniqueid=uniqueid, linkedid=kw.pop("linkedid", uniqueid), center_id=seeded.center,
            caller_raw=caller, caller_e164="+98" + caller[1:],
            started_at=kw.pop("started_at", datetime.now(UTC)), **kw,
        )
    )  # fmt: skip


async def register(db_pool: Pool, call_id: int, official: int | None = None) -> None:
    await RequestRepository(db_pool).register(
        call_id, "+989181234501", official, None, None, lambda code: code, lambda: "1234567890"
    )


def ringing(hub: LiveHub, uniqueid: str, linkedid: str) -> None:
    hub.event({"event": "DialBegin", "uniqueid": uniqueid, "linkedid": linkedid,
               "calleridnum": "09181234501", "destchannel": f"{DESK}-0000000a",
               "destuniqueid": "desk-leg", "destlinkedid": linkedid})  # fmt: skip


async def official_of(make_user: MakeUser, seeded: Seeded, official: int | None = None) -> User:
    return await make_user(Role.OFFICIAL, seeded.center, official_id=official or seeded.official)


async def next_json(ws: aiohttp.ClientWebSocketResponse, kind: str) -> dict[str, Any]:
    while True:
        message: dict[str, Any] = await ws.receive_json(timeout=5)
        if message["type"] == kind:
            return message


async def test_the_live_socket_refuses_anonymous_and_other_roles(
    web_client: Client, make_user: MakeUser, login: Login, seeded: Seeded
) -> None:
    with pytest.raises(aiohttp.WSServerHandshakeError) as anonymous:
        await web_client.ws_connect("/desk/ws")
    assert anonymous.value.status == 401
    await login(web_client, await make_user(Role.AGENCY_STAFF, seeded.center))
    with pytest.raises(aiohttp.WSServerHandshakeError) as staff:
        await web_client.ws_connect("/desk/ws")
    assert staff.value.status == 403


async def test_the_live_socket_refuses_another_sites_page(
    web_client: Client, make_user: MakeUser, login: Login, seeded: Seeded
) -> None:
    await login(web_client, await official_of(make_user, seeded))
    with pytest.raises(aiohttp.WSServerHandshakeError) as cross:
        await web_client.ws_connect("/desk/ws", headers={"Origin": "https://evil.example"})
    assert cross.value.status == 403


async def test_an_official_sees_their_own_desk_ring_and_not_another(
    web_client: Client, make_user: MakeUser, login: Login, seeded: Seeded, hub: LiveHub
) -> None:
    await login(web_client, await official_of(make_user, seeded))
    async with web_client.ws_connect("/desk/ws") as ws:
        first = {m["type"]: m for m in [await ws.receive_json(timeout=5) for _ in range(2)]}
        assert first["desk"]["status"] == "idle"
        assert [q["queue"] for q in first["queues"]["queues"]] == ["samad-hamedan"]
        ringing(hub, "caller-1", "link-1")
        desk = await next_json(ws, "desk")
        assert desk["status"] == "ringing"
        assert (desk["uniqueid"], desk["linkedid"]) == ("caller-1", "link-1")
        assert desk["server_now"] > 0
    assert hub.subscriber_count == 0


async def test_an_official_at_another_desk_stays_idle(
    web_client: Client, make_user: MakeUser, login: Login, seeded: Seeded, hub: LiveHub
) -> None:
    await login(web_client, await official_of(make_user, seeded, seeded.other_official))
    ringing(hub, "caller-1", "link-1")
    async with web_client.ws_connect("/desk/ws") as ws:
        assert (await next_json(ws, "desk"))["status"] == "idle"


async def test_a_province_admin_sees_only_their_centers_queue(
    web_client: Client, make_user: MakeUser, login: Login, seeded: Seeded, hub: LiveHub
) -> None:
    hub.event({"event": "QueueCallerJoin", "queue": "samad-tehran", "uniqueid": "t",
               "calleridnum": "02112345678"})  # fmt: skip
    hub.event({"event": "QueueCallerJoin", "queue": "samad-hamedan", "uniqueid": "h",
               "calleridnum": "09181234501"})  # fmt: skip
    await login(web_client, await make_user(Role.PROVINCE_ADMIN, seeded.center))
    async with web_client.ws_connect("/desk/ws") as ws:
        message = await ws.receive_json(timeout=5)
        assert message["type"] == "queues"
        [queue] = message["queues"]
        assert queue["queue"] == "samad-hamedan"
        assert [c["number"] for c in queue["callers"]] == ["۰۹۱۸ ۱۲۳ ۴۵۰۱"]
    page = await web_client.get("/desk/queue")
    assert page.status == 200
    text = await page.text()
    assert '<bdi dir="ltr">۰۹۱۸ ۱۲۳ ۴۵۰۱</bdi>' in text
    assert "۰۲۱ ۱۲۳۴ ۵۶۷۸" not in text
    assert "02112345678" not in text


async def test_the_desk_page_is_for_officials_and_the_board_for_admins(
    web_client: Client, make_user: MakeUser, login: Login, seeded: Seeded
) -> None:
    await login(web_client, await official_of(make_user, seeded))
    assert (await web_client.get("/desk")).status == 200
    assert (await web_client.get("/desk/queue")).status == 403


async def test_the_caller_card_shows_the_number_and_earlier_calls_and_requests(
    web_client: Client, make_user: MakeUser, login: Login, seeded: Seeded, db_pool: Pool,
    hub: LiveHub,
) -> None:  # fmt: skip
    earlier = await add_call(
        db_pool, seeded, "old-1", started_at=datetime.now(UTC) - timedelta(days=3),
        disposition="answered",
    )  # fmt: skip
    await register(db_pool, earlier)
    await DeskRepository(db_pool).save_note(
        earlier, summary="وام ازدواج", topic="family", agency_id=None, official_id=None,
        user_id=None,
    )  # fmt: skip
    await add_call(db_pool, seeded, "now-1", linkedid="link-now")
    await login(web_client, await official_of(make_user, seeded))
    ringing(hub, "now-1", "link-now")
    response = await web_client.get("/desk/call", params={"uniqueid": "now-1", "linkedid": ""})
    assert response.status == 200
    card = await response.text()
    assert '<bdi class="phone" dir="ltr">۰۹۱۸ ۱۲۳ ۴۵۰۱</bdi>' in card
    assert "۱۲۳۴۵۶۷۸۹۰" in card  # the earlier request's tracking code
    assert "ثبت شده" in card
    assert "وام ازدواج" in card
    assert "ازدواج و فرزندآوری" in card
    assert "اداره کل راه و شهرسازی" in card


async def test_a_call_that_is_not_at_the_desk_is_refused(
    web_client: Client, make_user: MakeUser, login: Login, seeded: Seeded, db_pool: Pool,
    csrf_token_of: CsrfOf,
) -> None:  # fmt: skip
    call = await add_call(db_pool, seeded, "elsewhere")
    await login(web_client, await official_of(make_user, seeded))
    card = await web_client.get("/desk/call", params={"uniqueid": "elsewhere"})
    assert card.status == 403
    token = await csrf_token_of(web_client)
    save = await web_client.post(
        f"/desk/calls/{call}/note", data={"summary": "x"}, headers={"X-CSRF-Token": token}
    )
    assert save.status == 403


async def test_a_note_written_before_the_request_exists_lands_in_it(
    web_client: Client, make_user: MakeUser, login: Login, seeded: Seeded, db_pool: Pool,
    csrf_token_of: CsrfOf,
) -> None:  # fmt: skip
    call = await add_call(db_pool, seeded, "c1", official_id=seeded.official)
    await login(web_client, await official_of(make_user, seeded))
    token = await csrf_token_of(web_client)
    form = {"summary": "درخواست وام  مسکن", "topic": "housing", "agency_id": str(seeded.agency)}
    response = await web_client.post(
        f"/desk/calls/{call}/note", data=form, headers={"X-CSRF-Token": token}
    )
    assert response.status == 200, await response.text()
    assert (await response.json())["in_request"] is False
    await register(db_pool, call, seeded.official)
    row = await db_pool.fetchrow("SELECT * FROM requests WHERE call_id = $1", call)
    assert row is not None
    assert (row["summary"], row["topic"], row["agency_id"]) == (
        "درخواست وام  مسکن", "housing", seeded.agency,
    )  # fmt: skip


async def test_a_note_written_after_registration_updates_the_request(
    web_client: Client, make_user: MakeUser, login: Login, seeded: Seeded, db_pool: Pool,
    csrf_token_of: CsrfOf,
) -> None:  # fmt: skip
    call = await add_call(db_pool, seeded, "c2", official_id=seeded.official)
    await register(db_pool, call, seeded.official)
    await login(web_client, await official_of(make_user, seeded))
    token = await csrf_token_of(web_client)
    response = await web_client.post(
        f"/desk/calls/{call}/note", data={"summary": "بیکاری", "topic": "employment"},
        headers={"X-CSRF-Token": token},
    )  # fmt: skip
    assert (await response.json())["in_request"] is True
    row = await db_pool.fetchrow("SELECT summary, topic FROM requests WHERE call_id = $1", call)
    assert row is not None
    assert (row["summary"], row["topic"]) == ("بیکاری", "employment")


async def test_notes_are_validated_and_need_the_csrf_header(
    web_client: Client, make_user: MakeUser, login: Login, seeded: Seeded, db_pool: Pool,
    csrf_token_of: CsrfOf,
) -> None:  # fmt: skip
    call = await add_call(db_pool, seeded, "c3", official_id=seeded.official)
    await login(web_client, await official_of(make_user, seeded))
    no_token = await web_client.post(f"/desk/calls/{call}/note", data={"summary": "x"})
    assert no_token.status == 403
    token = await csrf_token_of(web_client)
    for form in ({"topic": "weather"}, {"agency_id": "999999"}, {"summary": "x" * 4001}):
        bad = await web_client.post(
            f"/desk/calls/{call}/note", data=form, headers={"X-CSRF-Token": token}
        )
        assert bad.status == 422, form


async def test_no_request_is_flagged_for_intake_and_refused_once_registered(
    web_client: Client, make_user: MakeUser, login: Login, seeded: Seeded, db_pool: Pool,
    csrf_token_of: CsrfOf,
) -> None:  # fmt: skip
    call = await add_call(db_pool, seeded, "c4", official_id=seeded.official)
    registered = await add_call(db_pool, seeded, "c5", official_id=seeded.official)
    await register(db_pool, registered, seeded.official)
    await login(web_client, await official_of(make_user, seeded))
    token = await csrf_token_of(web_client)
    headers = {"X-CSRF-Token": token}
    response = await web_client.post(f"/desk/calls/{call}/no-request", headers=headers)
    assert response.status == 200
    assert await DeskRepository(db_pool).no_request(call) is True
    assert await DeskRepository(db_pool).no_request(registered) is False
    late = await web_client.post(f"/desk/calls/{registered}/no-request", headers=headers)
    assert late.status == 409
    assert await DeskRepository(db_pool).no_request(registered) is False
