"""The inspectors' queues on a real PostgreSQL: what each holds, in which order, how
pages follow one another, filters, counts, and a province that never sees another's."""

from __future__ import annotations

from datetime import date, timedelta
from zoneinfo import ZoneInfo

import pytest

from inspector.cases import NOW, make_case
from inspector.conftest import Province
from samad_ivr.domain.lifecycle import Status
from samad_ivr.storage.db import Pool
from samad_ivr.storage.inspection import (
    InspectionRepository,
    Queue,
    QueueCursor,
    QueueQuery,
)
from samad_ivr.storage.lifecycle import RequestLifecycle

TZ = ZoneInfo("Asia/Tehran")


async def _ids(inspection: InspectionRepository, query: QueueQuery) -> list[int]:
    return [item.id for item in (await inspection.page(query, TZ)).items]


async def _every_page(inspection: InspectionRepository, query: QueueQuery) -> list[list[int]]:
    pages: list[list[int]] = []
    cursor = None
    while True:
        page = await inspection.page(
            QueueQuery(query.center_id, query.queue, query.now, after=cursor, limit=query.limit),
            TZ,
        )
        pages.append([item.id for item in page.items])
        if page.next_cursor is None:
            return pages
        # The token round-trips: what the pages hand out is what they take back.
        cursor = QueueCursor.parse(page.next_cursor.token())
        assert cursor == page.next_cursor


async def test_overdue_holds_escalated_and_assigned_past_their_deadline_oldest_first(
    db_pool: Pool, lifecycle: RequestLifecycle, inspection: InspectionRepository,
    hamedan: Province,
) -> None:  # fmt: skip
    c, a = hamedan.center_id, hamedan.agency_id
    escalated = await make_case(db_pool, lifecycle, c, a, Status.ESCALATED, assigned_days_ago=12)
    # Past its deadline, but the job has not escalated it yet.
    late = await make_case(db_pool, lifecycle, c, a, Status.ASSIGNED, assigned_days_ago=15)
    # Assigned 10 days ago: today is its last day, so not late.
    await make_case(db_pool, lifecycle, c, a, Status.ASSIGNED, assigned_days_ago=10)
    await make_case(db_pool, lifecycle, c, a, Status.ANSWERED, assigned_days_ago=20)
    await make_case(db_pool, lifecycle, c, a, Status.CLOSED, assigned_days_ago=30)
    page = await inspection.page(QueueQuery(c, Queue.OVERDUE, NOW), TZ)
    assert [i.id for i in page.items] == [late, escalated]
    assert all(i.overdue for i in page.items)
    first_due = page.items[0].due_on
    assert first_due is not None
    assert first_due < NOW.date()
    assert page.next_cursor is None


async def test_answered_reopened_and_long_stop_queues_hold_their_own_requests(
    db_pool: Pool, lifecycle: RequestLifecycle, inspection: InspectionRepository,
    hamedan: Province,
) -> None:  # fmt: skip
    c, a = hamedan.center_id, hamedan.agency_id
    answered = await make_case(db_pool, lifecycle, c, a, Status.ANSWERED)
    reopened = await make_case(db_pool, lifecycle, c, a, Status.REOPENED)
    stopped = await make_case(
        db_pool, lifecycle, c, a, Status.ESCALATED, assigned_days_ago=25, long_stop=True
    )
    await make_case(db_pool, lifecycle, c, a, Status.ESCALATED, assigned_days_ago=12)
    assert await _ids(inspection, QueueQuery(c, Queue.ANSWERED, NOW)) == [answered]
    assert await _ids(inspection, QueueQuery(c, Queue.REOPENED, NOW)) == [reopened]
    assert await _ids(inspection, QueueQuery(c, Queue.LONG_STOP, NOW)) == [stopped]


async def test_open_lists_every_unclosed_request_of_the_province_deadlines_first(
    db_pool: Pool, lifecycle: RequestLifecycle, inspection: InspectionRepository,
    hamedan: Province, tehran: Province,
) -> None:  # fmt: skip
    c, a = hamedan.center_id, hamedan.agency_id
    registered = await make_case(db_pool, lifecycle, c, a, Status.REGISTERED)
    newer = await make_case(db_pool, lifecycle, c, a, Status.ASSIGNED, assigned_days_ago=1)
    older = await make_case(db_pool, lifecycle, c, a, Status.ANSWERED, assigned_days_ago=5)
    oldest = await make_case(db_pool, lifecycle, c, a, Status.ESCALATED, assigned_days_ago=14)
    await make_case(db_pool, lifecycle, c, a, Status.CLOSED)
    await make_case(db_pool, lifecycle, tehran.center_id, tehran.agency_id, Status.ESCALATED)
    page = await inspection.page(QueueQuery(c, Queue.OPEN, NOW), TZ)
    assert [i.id for i in page.items] == [oldest, older, newer, registered]
    first = page.items[0]
    assert (first.agency_name, first.topic_name) == ("ادارهٔ کل راه و شهرسازی", "نهضت ملی مسکن")
    assert page.items[-1].due_on is None
    assert [i.id for i in (await inspection.page(QueueQuery(c, Queue.OVERDUE, NOW), TZ)).items] == [
        oldest
    ]


async def test_pages_follow_one_another_without_gaps_or_repeats(
    db_pool: Pool, lifecycle: RequestLifecycle, inspection: InspectionRepository,
    hamedan: Province,
) -> None:  # fmt: skip
    c, a = hamedan.center_id, hamedan.agency_id
    made = []
    # Deadlines shared by several requests, and requests with no deadline at all.
    for days_ago, status in [
        (3, Status.ASSIGNED), (3, Status.ANSWERED), (3, Status.ESCALATED), (12, Status.ESCALATED),
        (12, Status.ASSIGNED), (1, Status.REOPENED), (0, Status.REGISTERED),
        (0, Status.REGISTERED), (0, Status.REGISTERED),
    ]:  # fmt: skip
        made.append(await make_case(db_pool, lifecycle, c, a, status, assigned_days_ago=days_ago))
    everything = await _ids(inspection, QueueQuery(c, Queue.OPEN, NOW, limit=100))
    assert sorted(everything) == sorted(made)
    for size in (1, 2, 4):
        pages = await _every_page(inspection, QueueQuery(c, Queue.OPEN, NOW, limit=size))
        assert [i for p in pages for i in p] == everything
        assert all(len(p) == size for p in pages[:-1])


async def test_filters_narrow_a_queue_by_agency_topic_status_and_tracking_code(
    db_pool: Pool, lifecycle: RequestLifecycle, inspection: InspectionRepository,
    hamedan: Province,
) -> None:  # fmt: skip
    c = hamedan.center_id
    roads = await make_case(db_pool, lifecycle, c, hamedan.agency_id, Status.ASSIGNED)
    jobs = await make_case(
        db_pool, lifecycle, c, hamedan.quiet_agency_id, Status.ANSWERED, topic="employment"
    )
    base = QueueQuery(c, Queue.OPEN, NOW)
    by_agency = QueueQuery(c, Queue.OPEN, NOW, agency_id=hamedan.quiet_agency_id)
    assert await _ids(inspection, by_agency) == [jobs]
    assert await _ids(inspection, QueueQuery(c, Queue.OPEN, NOW, topic="housing")) == [roads]
    assert await _ids(inspection, QueueQuery(c, Queue.OPEN, NOW, status=Status.ANSWERED)) == [jobs]
    # A status the queue does not hold gives an empty page, not an error.
    reopened_only = QueueQuery(c, Queue.OVERDUE, NOW, status=Status.REOPENED)
    assert await _ids(inspection, reopened_only) == []
    code = (await inspection.page(base, TZ)).items[0].tracking_code
    assert await _ids(inspection, QueueQuery(c, Queue.OPEN, NOW, tracking_code=code)) == [roads]


async def test_counts_agree_with_the_queues(
    db_pool: Pool, lifecycle: RequestLifecycle, inspection: InspectionRepository,
    hamedan: Province, tehran: Province,
) -> None:  # fmt: skip
    c, a = hamedan.center_id, hamedan.agency_id
    for status, days_ago in [
        (Status.ESCALATED, 12), (Status.ASSIGNED, 15), (Status.ASSIGNED, 1),
        (Status.ANSWERED, 2), (Status.REOPENED, 3), (Status.CLOSED, 4), (Status.REGISTERED, 0),
    ]:  # fmt: skip
        await make_case(db_pool, lifecycle, c, a, status, assigned_days_ago=days_ago)
    await make_case(
        db_pool, lifecycle, c, a, Status.ESCALATED, assigned_days_ago=25, long_stop=True
    )
    await make_case(db_pool, lifecycle, tehran.center_id, tehran.agency_id, Status.ESCALATED)
    counts = await inspection.counts(c, NOW, TZ)
    for queue in Queue:
        listed = await _ids(inspection, QueueQuery(c, queue, NOW, limit=200))
        assert counts.of(queue) == len(listed), queue
    assert (counts.overdue, counts.long_stop, counts.open) == (3, 1, 7)


@pytest.mark.parametrize(
    "token",
    ["", "x", "!!!", "MjAyNTAzMDEuMQ" * 5, "LTEuLTE", "MjAyNTEzMDEuNQ", "MjAyNTAzMDE"],
)
def test_a_cursor_we_did_not_issue_is_ignored(token: str) -> None:
    assert QueueCursor.parse(token) is None


def test_cursors_round_trip_with_and_without_a_deadline() -> None:
    for cursor in (QueueCursor(date(2025, 3, 11), 42), QueueCursor(None, 7)):
        assert QueueCursor.parse(cursor.token()) == cursor
    assert (
        QueueCursor(date(2025, 3, 11) + timedelta(days=1), 1).token()
        != QueueCursor(date(2025, 3, 11), 1).token()
    )
