"""The job schedule: what runs when.  Job bodies live in samad_ivr (they are plain
async callables); this module only decides their triggers."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

TEHRAN = "Asia/Tehran"

Job = Callable[[], Awaitable[object]]


@dataclass(frozen=True, slots=True)
class Jobs:
    replay_spool: Job  # spooled call reports -> database
    sweep_recordings: Job  # pending call recordings -> hashed and stored
    announce_sessions: Job  # SMS to subscribers N days before each duty session
    warn_visits: Job  # province admins hear of officials who may miss 4 visits a year
    seed_holidays: Job  # Iran's holidays for this and next Jalali year, once per year
    purge_accounts: Job  # expired web sessions and old login attempts
    sync_softphone_desks: Job  # Asterisk's PJSIP config of the browser desks
    deadlines: Job  # requests past their deadline -> inspectors; past the long stop -> admins
    remind_agencies: Job  # the agency's reminder (portal + SMS) before its deadline
    reconcile_deadlines: Job  # stored deadlines checked against each center's calendar
    ask_satisfaction: Job  # "was the answer convincing?" by SMS / callback, a day after it
    ring_satisfaction: Job  # the due satisfaction callbacks (inside the calling window)
    close_unanswered_satisfaction: Job  # no reply in time -> closed without reply
    reconcile_calls: Job  # calls in Asterisk's CEL that the service never stored
    place_callbacks: Job  # callbacks whose turn came (a desk is free), retries, conversions


def build_scheduler(jobs: Jobs, callback_seconds: int = 5) -> AsyncIOScheduler:
    """An AsyncIOScheduler with every job; the caller starts it inside the running loop."""
    scheduler = AsyncIOScheduler(timezone="UTC")
    # coalesce + max_instances=1: a slow round is never stacked with the next one.
    common = {"coalesce": True, "max_instances": 1, "misfire_grace_time": 30}
    scheduler.add_job(jobs.replay_spool, IntervalTrigger(seconds=15), id="replay_spool", **common)
    scheduler.add_job(
        jobs.sweep_recordings, IntervalTrigger(seconds=60), id="sweep_recordings", **common
    )
    # Announcements only in daytime hours: nobody wants a notice SMS at night.
    scheduler.add_job(
        jobs.announce_sessions,
        CronTrigger(hour="9-20", minute=5, timezone=TEHRAN),
        id="announce_sessions",
        **common,
    )
    scheduler.add_job(
        jobs.warn_visits,
        CronTrigger(day_of_week="sat", hour=8, timezone=TEHRAN),
        id="warn_visits",
        **common,
    )
    # Also at start-up (next_run_time=now), so a new center has its holidays at once.
    scheduler.add_job(
        jobs.seed_holidays,
        CronTrigger(hour=3, timezone=TEHRAN),
        id="seed_holidays",
        next_run_time=datetime.now(UTC),
        **common,
    )
    scheduler.add_job(
        jobs.purge_accounts, CronTrigger(hour=4, timezone=TEHRAN), id="purge_accounts", **common
    )
    # At start-up too: browser desks can register as soon as the service runs.
    scheduler.add_job(
        jobs.sync_softphone_desks,
        IntervalTrigger(seconds=30),
        id="sync_softphone_desks",
        next_run_time=datetime.now(UTC),
        **common,
    )
    # Every few minutes and at start-up, so a deadline that passed while the service
    # was down is acted on at once.
    scheduler.add_job(
        jobs.deadlines,
        IntervalTrigger(minutes=5),
        id="deadlines",
        next_run_time=datetime.now(UTC),
        **common,
    )
    # Daytime only: nobody wants a reminder SMS at night (the job also checks the local
    # hour itself, so its start-up run at night sends nothing).
    scheduler.add_job(
        jobs.remind_agencies,
        CronTrigger(hour="8-19", minute="*/5", timezone=TEHRAN),
        id="remind_agencies",
        next_run_time=datetime.now(UTC),
        **common,
    )
    scheduler.add_job(
        jobs.reconcile_deadlines,
        CronTrigger(hour=2, minute=30, timezone=TEHRAN),
        id="reconcile_deadlines",
        **common,
    )
    # Daytime only (the job checks the hour too): a question by SMS at night is rude.
    scheduler.add_job(
        jobs.ask_satisfaction,
        CronTrigger(hour="9-19", minute="*/10", timezone=TEHRAN),
        id="ask_satisfaction",
        **common,
    )
    # Every minute: the job itself keeps every ring inside the calling window.
    scheduler.add_job(
        jobs.ring_satisfaction,
        IntervalTrigger(minutes=1),
        id="ring_satisfaction",
        next_run_time=datetime.now(UTC),
        **common,
    )
    scheduler.add_job(
        jobs.close_unanswered_satisfaction,
        IntervalTrigger(minutes=15),
        id="close_unanswered_satisfaction",
        next_run_time=datetime.now(UTC),
        **common,
    )
    # Every minute and at start-up: the calls a crash kept from the database are stored
    # as soon as the service is back.
    scheduler.add_job(
        jobs.reconcile_calls,
        IntervalTrigger(minutes=1),
        id="reconcile_calls",
        next_run_time=datetime.now(UTC),
        **common,
    )
    # Every few seconds: a desk that frees up takes the callback whose turn it is.
    scheduler.add_job(
        jobs.place_callbacks,
        IntervalTrigger(seconds=callback_seconds),
        id="place_callbacks",
        next_run_time=datetime.now(UTC),
        **common,
    )
    return scheduler
