"""The search filtered by status or "overdue now" walks the requests in their calls'
order (0012's `requests.call_started_at`): same rows, same order and same cursors as the
calls' own keyset, and the copy follows its call."""

from __future__ import annotations

from datetime import timedelta

import pytest

from reports.factories import DAY, NOW, ReportWorld, build_world, registered
from samad_ivr.domain.deadlines import DeadlinePolicy
from samad_ivr.domain.lifecycle import Action
from samad_ivr.storage.db import Pool
from samad_ivr.storage.lifecycle import Actor, RequestLifecycle
from samad_ivr.storage.search import CallSearch, CallSearchRepository, Overdue, build_query


@pytest.fixture
async def world(db_pool: Pool) -> ReportWorld:
    return await build_world(db_pool)


async def _escalated(pool: Pool, center_id: int, agency_id: int, count: int) -> list[int]:
    """`count` escalated requests, one call a minute apart, oldest first."""
    life = RequestLifecycle(pool, DeadlinePolicy())
    ids = []
    for i in range(count):
        request_id = await registered(pool, center_id, DAY + timedelta(hours=1, minutes=i))
        await life.assign(
            request_id, agency_id=agency_id, topic="other", actor=Actor.named("desk_test"),
            now=DAY + timedelta(hours=2),
        )  # fmt: skip
        await life.act(
            request_id, Action.ESCALATE, actor=Actor.named("deadline_job"),
            now=DAY + timedelta(days=11),
        )  # fmt: skip
        ids.append(request_id)
    return ids


async def _walk(repo: CallSearchRepository, search: CallSearch) -> list[int]:
    seen: list[int] = []
    while True:
        page = await repo.search(search)
        seen += [h.request_id for h in page.hits if h.request_id is not None]
        if page.next_cursor is None:
            return seen
        search = CallSearch(
            search.visible_centers, status=search.status, overdue=search.overdue,
            after=page.next_cursor, limit=search.limit,
        )  # fmt: skip


async def test_pages_of_one_status_come_newest_call_first_without_gaps_or_repeats(
    db_pool: Pool, world: ReportWorld
) -> None:
    more = await _escalated(db_pool, world.hamedan, world.agency_b, 5)
    repo = CallSearchRepository(db_pool)
    # b_escalated was called at DAY + 4 minutes, before the five new ones.
    want = [*reversed(more), world.requests["b_escalated"]]
    assert await _walk(repo, CallSearch(None, status="escalated", limit=2)) == want
    overdue = Overdue(NOW, "Asia/Tehran")
    got = await _walk(repo, CallSearch(None, overdue=overdue, limit=4))
    assert got == [*reversed(more), world.requests["b_escalated"], world.requests["b_overdue"]]


async def test_the_filtered_search_orders_by_the_requests_copy_of_the_call(
    world: ReportWorld,
) -> None:
    sql, _ = build_query(CallSearch(None, status="reopened"), topic_column=True)
    assert "ORDER BY r.call_started_at DESC, r.call_id DESC" in sql
    plain, _ = build_query(CallSearch(None), topic_column=True)
    assert "ORDER BY c.started_at DESC, c.id DESC" in plain


async def test_the_requests_copy_of_the_start_follows_its_call(
    db_pool: Pool, world: ReportWorld
) -> None:
    request_id = world.requests["waiting"]
    async with db_pool.acquire() as conn:
        row = await conn.fetchrow(
            "SELECT r.call_started_at, c.started_at, c.id FROM requests r"
            " JOIN calls c ON c.id = r.call_id WHERE r.id = $1",
            request_id,
        )
        assert row["call_started_at"] == row["started_at"]
        # The call upsert moves a start earlier when an earlier event arrives.
        earlier = row["started_at"] - timedelta(seconds=30)
        await conn.execute("UPDATE calls SET started_at = $2 WHERE id = $1", row["id"], earlier)
        moved = await conn.fetchval(
            "SELECT call_started_at FROM requests WHERE id = $1", request_id
        )
        differing = await conn.fetchval(
            "SELECT count(*) FROM requests r JOIN calls c ON c.id = r.call_id"
            " WHERE r.call_started_at <> c.started_at"
        )
    assert moved == earlier
    assert differing == 0
