"""When the deadline jobs run: often and at start-up; reminders only in Tehran daytime."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from scheduler.schedule import Jobs, build_scheduler

TEHRAN = ZoneInfo("Asia/Tehran")


async def _nothing() -> None:
    return None


def scheduled() -> dict[str, object]:
    jobs = Jobs(**{name: _nothing for name in Jobs.__dataclass_fields__})
    return {job.id: job for job in build_scheduler(jobs).get_jobs()}


def next_fire(job_id: str, after: datetime) -> datetime:
    job = scheduled()[job_id]
    fire: datetime = job.trigger.get_next_fire_time(None, after)  # type: ignore[attr-defined]
    return fire


def test_the_deadline_round_runs_every_five_minutes_at_any_hour() -> None:
    # An interval counts from start-up, so "later" is measured from now.
    later = datetime.now(UTC) + timedelta(hours=17, minutes=3)
    assert timedelta(0) <= next_fire("deadlines", later) - later <= timedelta(minutes=5)


def test_reminders_wait_for_the_morning_in_tehran() -> None:
    evening = datetime(2025, 3, 8, 19, 56, tzinfo=TEHRAN)
    assert next_fire("remind_agencies", evening) == datetime(2025, 3, 9, 8, 0, tzinfo=TEHRAN)
    morning = datetime(2025, 3, 9, 8, 1, tzinfo=TEHRAN)
    assert next_fire("remind_agencies", morning) == datetime(2025, 3, 9, 8, 5, tzinfo=TEHRAN)


def test_the_deadline_jobs_also_run_at_start_up() -> None:
    jobs = scheduled()
    now = datetime.now(UTC)
    for job_id in ("deadlines", "remind_agencies"):
        first = jobs[job_id].next_run_time  # type: ignore[attr-defined]
        assert abs(first - now) < timedelta(minutes=1), job_id


def test_the_nightly_deadline_check_runs_before_the_working_day() -> None:
    after = datetime(2025, 3, 9, 12, 0, tzinfo=TEHRAN)
    assert next_fire("reconcile_deadlines", after) == datetime(2025, 3, 10, 2, 30, tzinfo=TEHRAN)
