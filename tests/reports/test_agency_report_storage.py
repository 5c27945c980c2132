"""Every figure of the agency report on the hand-made world of `reports.factories`."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from reports.factories import AFTER_LAST_DAY, FIRST_DAY, NOW, ReportWorld, build_world
from samad_ivr.storage.agency_reports import AgencyReport, AgencyReportRepository, Figures
from samad_ivr.storage.db import Pool


@pytest.fixture
async def world(db_pool: Pool) -> ReportWorld:
    return await build_world(db_pool)


async def _report(pool: Pool, centers: frozenset[int] | None, now: datetime = NOW) -> AgencyReport:
    return await AgencyReportRepository(pool).report(
        registered_from=FIRST_DAY, registered_before=AFTER_LAST_DAY, centers=centers, now=now,
        default_tz="Asia/Tehran",
    )  # fmt: skip


async def test_one_province_counts_each_agency_exactly(db_pool: Pool, world: ReportWorld) -> None:
    report = await _report(db_pool, frozenset({world.hamedan}))
    rows = {row.agency_id: row for row in report.agencies}
    assert list(rows) == [world.agency_a, world.agency_b, None]
    assert rows[world.agency_a].name == "راه و شهرسازی"
    assert rows[world.agency_a].center_name == "همدان"
    assert rows[world.agency_a].figures == Figures(
        requests=3, on_time=2, late=1, open=2, overdue=0, reopened=1, median_days=5.0
    )
    assert rows[world.agency_b].figures == Figures(
        requests=2, on_time=0, late=0, open=2, overdue=2, reopened=0, median_days=None
    )
    assert rows[None].figures == Figures(requests=2, open=1)
    assert report.totals == Figures(
        requests=7, on_time=2, late=1, open=5, overdue=2, reopened=1, median_days=5.0
    )


async def test_one_province_counts_each_topic_in_the_centers_order(
    db_pool: Pool, world: ReportWorld
) -> None:
    report = await _report(db_pool, frozenset({world.hamedan}))
    assert [(t.topic, t.name) for t in report.topics] == [
        ("employment", "اشتغال"), ("housing", "نهضت ملی مسکن"), (None, None),
    ]  # fmt: skip
    employment, housing, none = (t.figures for t in report.topics)
    assert employment == Figures(
        requests=2, on_time=1, late=0, open=2, overdue=1, reopened=1, median_days=5.0
    )
    assert housing == Figures(
        requests=3, on_time=1, late=1, open=2, overdue=1, reopened=0, median_days=9.0
    )
    assert none == Figures(requests=2, open=1)


async def test_every_province_adds_the_other_province_and_nothing_outside_the_range(
    db_pool: Pool, world: ReportWorld
) -> None:
    report = await _report(db_pool, None)
    assert report.totals == Figures(
        requests=9, on_time=3, late=1, open=7, overdue=2, reopened=1, median_days=4.0
    )
    tehran = next(r for r in report.agencies if r.agency_id == world.agency_c)
    assert tehran.figures == Figures(
        requests=2, on_time=1, late=0, open=2, overdue=0, reopened=0, median_days=2.0
    )
    assert tehran.center_name == "تهران"
    only_tehran = await _report(db_pool, frozenset({world.tehran}))
    assert only_tehran.totals == tehran.figures
    assert [t.topic for t in only_tehran.topics] == ["agriculture"]


async def test_overdue_is_counted_as_of_the_instant_given(
    db_pool: Pool, world: ReportWorld
) -> None:
    # b_overdue is due 1404-01-20 (2025-04-09): still in time until that day ends in Tehran.
    last_minute = datetime(2025, 4, 9, 23, 59, tzinfo=NOW.tzinfo)
    before = await _report(db_pool, frozenset({world.hamedan}), now=last_minute)
    after = await _report(
        db_pool, frozenset({world.hamedan}), now=last_minute + timedelta(minutes=1)
    )
    # The escalated request is overdue whatever the time.
    assert (before.totals.overdue, after.totals.overdue) == (1, 2)


async def test_shares_and_rates_follow_from_the_counts(db_pool: Pool, world: ReportWorld) -> None:
    report = await _report(db_pool, frozenset({world.hamedan}))
    a = report.agencies[0].figures
    assert a.on_time_rate == pytest.approx(2 / 3)
    assert a.reopened_share == pytest.approx(1 / 3)
    assert a.answered + a.overdue + a.unanswered_in_time == a.requests
    assert Figures().on_time_rate is None
    assert Figures().reopened_share is None


async def test_an_empty_range_reports_zero_everywhere(db_pool: Pool, world: ReportWorld) -> None:
    report = await AgencyReportRepository(db_pool).report(
        registered_from=NOW, registered_before=NOW + timedelta(days=1), centers=None, now=NOW,
        default_tz="Asia/Tehran",
    )  # fmt: skip
    assert report == AgencyReport(agencies=(), topics=(), totals=Figures())


async def test_a_province_without_requests_reports_nothing_of_the_others(
    db_pool: Pool, world: ReportWorld
) -> None:
    report = await _report(db_pool, frozenset())
    assert report.totals == Figures()
    assert report.agencies == ()


async def test_naive_instants_are_refused(db_pool: Pool) -> None:
    with pytest.raises(ValueError, match="now"):
        await AgencyReportRepository(db_pool).report(
            registered_from=FIRST_DAY, registered_before=AFTER_LAST_DAY, centers=None,
            now=NOW.replace(tzinfo=None), default_tz="Asia/Tehran",
        )  # fmt: skip
