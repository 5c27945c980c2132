"""The admin's calendar pages move waiting deadlines, and the history names the admin."""

from __future__ import annotations

from datetime import UTC, date, datetime

from lifecycle.factories import make_request

from samad_ivr.domain.deadlines import DeadlinePolicy
from samad_ivr.storage.db import Pool
from samad_ivr.storage.lifecycle import Actor, RequestLifecycle

from .test_admin_support import (  # noqa: F401  (fixtures)
    AdminClient,
    World,
    as_role_fixture,
    csrf,
    post_form,
    settings_fixture,
    web_features_fixture,
    world_fixture,
)

NOW = datetime(2025, 3, 1, 6, 30, tzinfo=UTC)  # Saturday 1403-12-11, 10:00 Tehran


async def waiting_request(db_pool: Pool, world: World) -> tuple[RequestLifecycle, int]:
    lifecycle = RequestLifecycle(db_pool, DeadlinePolicy())
    request_id = await make_request(db_pool, world.hamedan)
    state = await lifecycle.assign(
        request_id, agency_id=world.agency_h, topic="employment", actor=Actor(job="desk_test"),
        now=NOW,
    )  # fmt: skip
    assert state.due_on == date(2025, 3, 11)  # 1403-12-21
    return lifecycle, request_id


async def test_a_closure_added_and_removed_on_the_holidays_page_moves_the_deadline_and_back(
    as_role: AdminClient, world: World, db_pool: Pool
) -> None:
    lifecycle, request_id = await waiting_request(db_pool, world)
    client = await as_role()
    page = f"/admin/centers/{world.hamedan}/holidays"
    added = await post_form(client, page, {"date": "۱۴۰۳/۱۲/۲۱", "name": "آلودگی هوا"}, page)
    assert added.status == 303
    state = await lifecycle.get(request_id)
    assert state is not None
    assert state.due_on == date(2025, 3, 12)
    moved = (await lifecycle.history(request_id))[-1]
    assert moved.event == "deadline_changed"
    assert moved.user_id is not None
    assert moved.job is None
    assert moved.note is not None
    assert "۱۴۰۳/۱۲/۲۱ به ۱۴۰۳/۱۲/۲۲" in moved.note
    removed = await post_form(client, page + "/1403-12-21/delete", {}, page)
    assert removed.status == 303
    state = await lifecycle.get(request_id)
    assert state is not None
    assert state.due_on == date(2025, 3, 11)
    back = (await lifecycle.history(request_id))[-1]
    assert (back.user_id, back.details["reason"]) == (moved.user_id, "holiday_removed")


async def test_a_new_weekend_on_the_settings_page_moves_the_deadline(
    as_role: AdminClient, world: World, db_pool: Pool
) -> None:
    lifecycle, request_id = await waiting_request(db_pool, world)
    client = await as_role()
    page = f"/admin/centers/{world.hamedan}/settings"
    token = await csrf(client, page)
    # Tuesday (1) and Friday (4) off: the deadline, a Tuesday, moves to Wednesday.
    response = await client.post(
        page + "/weekend", data=[("_csrf", token), ("weekend", "1"), ("weekend", "4")],
        allow_redirects=False,
    )  # fmt: skip
    assert response.status == 303
    state = await lifecycle.get(request_id)
    assert state is not None
    assert state.due_on == date(2025, 3, 12)
    entry = (await lifecycle.history(request_id))[-1]
    assert entry.details["reason"] == "weekend_changed"
    assert entry.details["weekend_after"] == [1, 4]
