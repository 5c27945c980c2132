"""The agency's list and notices on a real PostgreSQL: order, filters, keyset pages."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from lifecycle.factories import make_agency, make_request

from samad_ivr.domain.lifecycle import Action, Status
from samad_ivr.storage.agency_portal import AgencyPortalRepository, AgencyQuery, DueCursor
from samad_ivr.storage.db import Pool
from samad_ivr.storage.lifecycle import Actor, RequestLifecycle

DESK = Actor(job="desk_test")
# Saturday 2025-03-01, 10:00 in Tehran.
START = datetime(2025, 3, 1, 6, 30, tzinfo=UTC)


async def _assigned(
    pool: Pool, lifecycle: RequestLifecycle, center_id: int, agency_id: int, day: int,
    topic: str = "housing",
) -> int:  # fmt: skip
    at = START + timedelta(days=day)
    request_id = await make_request(pool, center_id, started_at=at)
    async with pool.acquire() as conn:  # registered when the call ended, not when the test ran
        await conn.execute("UPDATE requests SET created_at = $2 WHERE id = $1", request_id, at)
    await lifecycle.assign(
        request_id, agency_id=agency_id, topic=topic, actor=DESK,
        now=START + timedelta(days=day),
    )  # fmt: skip
    return request_id


async def test_the_list_is_by_deadline_and_holds_only_the_agencys_assigned_requests(
    db_pool: Pool, lifecycle: RequestLifecycle, center_id: int, agency_id: int
) -> None:
    later = await _assigned(db_pool, lifecycle, center_id, agency_id, 3)
    sooner = await _assigned(db_pool, lifecycle, center_id, agency_id, 0)
    other_agency = await make_agency(db_pool, center_id, "بانک")
    await _assigned(db_pool, lifecycle, center_id, other_agency, 1)
    # Chosen at the desk but never assigned: not on the list yet.
    await make_request(db_pool, center_id, agency_id=agency_id)
    page = await AgencyPortalRepository(db_pool).requests(AgencyQuery(agency_id))
    assert [r.id for r in page.rows] == [sooner, later]
    assert page.next_cursor is None
    assert page.rows[0].due_on == date(2025, 3, 11)
    assert page.rows[0].topic_name == "نهضت ملی مسکن"


async def test_pages_follow_each_other_without_gaps_or_repeats(
    db_pool: Pool, lifecycle: RequestLifecycle, center_id: int, agency_id: int
) -> None:
    # Two requests a day share a deadline: the id breaks the tie.
    ids = [await _assigned(db_pool, lifecycle, center_id, agency_id, d // 2) for d in range(7)]
    repo = AgencyPortalRepository(db_pool)
    seen: list[int] = []
    after = None
    for _ in range(5):
        page = await repo.requests(AgencyQuery(agency_id, after=after, limit=3))
        seen += [r.id for r in page.rows]
        if page.next_cursor is None:
            break
        after = DueCursor.parse(page.next_cursor.token())
        assert after == page.next_cursor
    assert seen == ids


async def test_filters_by_status_topic_code_date_and_overdue(
    db_pool: Pool, lifecycle: RequestLifecycle, center_id: int, agency_id: int
) -> None:
    first = await _assigned(db_pool, lifecycle, center_id, agency_id, 0, "employment")
    second = await _assigned(db_pool, lifecycle, center_id, agency_id, 20)
    answered = await _assigned(db_pool, lifecycle, center_id, agency_id, 1)
    await lifecycle.act(answered, Action.ANSWER, actor=DESK, now=START + timedelta(days=2))
    repo = AgencyPortalRepository(db_pool)

    async def ids(**filters: object) -> list[int]:
        page = await repo.requests(AgencyQuery(agency_id, **filters))  # type: ignore[arg-type]
        return [r.id for r in page.rows]

    assert await ids(status=Status.ANSWERED) == [answered]
    assert await ids(topic="employment") == [first]
    state = await lifecycle.get(second)
    assert state is not None
    assert await ids(tracking_code=state.tracking_code) == [second]
    assert await ids(created_from=START + timedelta(days=10)) == [second]
    assert await ids(created_before=START + timedelta(days=1)) == [first]
    # On 2025-03-15 only the first is past its deadline (the answered one is not owed).
    assert await ids(overdue_on=date(2025, 3, 15)) == [first]
    assert await ids(status=Status.CLOSED) == []


def test_a_cursor_we_did_not_issue_is_refused() -> None:
    assert DueCursor.parse("bm9wZQ") is None
    assert DueCursor.parse("") is None
    assert DueCursor.parse("x" * 100) is None
    cursor = DueCursor(date(2025, 3, 11), 42)
    assert DueCursor.parse(cursor.token()) == cursor


async def test_notices_come_unread_first_and_are_marked_read_only_for_their_agency(
    db_pool: Pool, center_id: int, agency_id: int
) -> None:
    other = await make_agency(db_pool, center_id, "آموزش و پرورش")
    async with db_pool.acquire() as conn:
        ids = [
            await conn.fetchval(
                "INSERT INTO agency_notifications (agency_id, kind, subject) VALUES ($1, $2, $3)"
                " RETURNING id",
                agency,
                "reminder",
                subject,
            )
            for agency, subject in ((agency_id, "قدیمی"), (agency_id, "تازه"), (other, "دیگری"))
        ]
    repo = AgencyPortalRepository(db_pool)
    now = datetime.now(UTC)
    assert await repo.mark_read(agency_id, ids[1], now)
    assert not await repo.mark_read(agency_id, ids[2], now)  # another agency's
    notices = await repo.notices(agency_id)
    assert [(n.subject, n.unread) for n in notices] == [("قدیمی", True), ("تازه", False)]
    assert await repo.unread_count(agency_id) == 1
    assert await repo.mark_all_read(agency_id, now) == 1
    assert await repo.unread_count(other) == 1
