"""Pending callbacks on the live queue board: from the database to /desk/ws and /desk/queue."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta

import pytest

from samad_ivr.live.callback_feed import CallbackFeed
from samad_ivr.live.hub import LiveHub
from samad_ivr.storage.accounts import Role, User
from samad_ivr.storage.callbacks import CallbackRepository
from samad_ivr.storage.db import Pool
from samad_ivr.web.app import Feature
from samad_ivr.web.desk.views import desk_feature

from .conftest import Client, MakeUser

Login = Callable[..., Awaitable[User]]


@pytest.fixture
def hub() -> LiveHub:
    return LiveHub()


@pytest.fixture
def web_features(hub: LiveHub) -> Sequence[Feature]:
    return [desk_feature(hub)]


async def test_a_stored_callback_appears_on_the_board_live_and_leaves_when_placed(
    web_client: Client, make_user: MakeUser, login: Login, center_ids: dict[str, int],
    hub: LiveHub, db_pool: Pool,
) -> None:  # fmt: skip
    repo = CallbackRepository(db_pool)
    feed = CallbackFeed(db_pool, hub)
    now = datetime.now(UTC)
    await repo.request(center_ids["tehran"], "9.9", "+989351112233", now, now + timedelta(hours=1),
                       now)  # fmt: skip
    await login(web_client, await make_user(Role.PROVINCE_ADMIN, center_ids["hamedan"]))
    async with web_client.ws_connect("/desk/ws") as ws:
        first = await ws.receive_json(timeout=5)
        assert first["queues"][0]["callbacks"] == []
        queued = now - timedelta(minutes=4)
        cb = await repo.request(center_ids["hamedan"], "1.1", "+989181234501", queued,
                                now + timedelta(hours=1), now)  # fmt: skip
        await feed.refresh()
        message = await ws.receive_json(timeout=5)
        [queue] = message["queues"]
        assert queue["queue"] == "samad-hamedan"  # not the other province's callback
        assert queue["callbacks"] == [{
            "number": "۰۹۱۸ ۱۲۳ ۴۵۰۱", "queued_at": int(queued.timestamp() * 1000),
            "attempts": 0, "ringing": False, "next_attempt_at": int(now.timestamp() * 1000),
        }]  # fmt: skip
        page = await (await web_client.get("/desk/queue")).text()
        assert "تماس‌های برگشتی در نوبت — ۱" in page
        assert '<bdi dir="ltr">۰۹۱۸ ۱۲۳ ۴۵۰۱</bdi>' in page
        assert "۰۹۳۵" not in page

        assert await repo.claim(cb.id, "1.2", now, 3) == 1
        await feed.refresh()
        ringing = (await ws.receive_json(timeout=5))["queues"][0]["callbacks"]
        assert [(c["attempts"], c["ringing"]) for c in ringing] == [(1, True)]
        await repo.attempt_ended(cb.id, "1.2", "answered", True, None, now)
        await feed.refresh()
        assert (await ws.receive_json(timeout=5))["queues"][0]["callbacks"] == []
