"""Composition root: pool -> migrations -> AMI -> FastAGI -> scheduler, in one process.

Start-up never waits for the database: the hotline answers even when PostgreSQL is
down (calls are spooled and replayed), so migrations retry in the background.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Awaitable, Callable, Coroutine
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import asyncpg
from aiohttp import web

from samad_ivr.agi.handlers.callback import CallbackRouteDeps
from samad_ivr.agi.handlers.common import RouteDeps
from samad_ivr.agi.handlers.satisfaction import SatisfactionDeps
from samad_ivr.agi.handlers.status_lookup import StatusDeps
from samad_ivr.agi.handlers.subscribe import SubscribeDeps
from samad_ivr.agi.routes import build_routes
from samad_ivr.agi.server import FastAgiServer
from samad_ivr.ami.client import AmiClient, AmiError
from samad_ivr.ami.events import AmiEventStream
from samad_ivr.ami.originate import AmiOriginator
from samad_ivr.ami.queue_announce import QueueAnnouncer
from samad_ivr.ami.queue_config import sync_center_queues
from samad_ivr.ami.queue_members import QueueMemberSync, queue_decision
from samad_ivr.calls.alarms import CallAlarms
from samad_ivr.calls.finaliser import RecordingFinaliser
from samad_ivr.calls.intake import CallIntake
from samad_ivr.calls.recdir import RecordingsDirProbe
from samad_ivr.calls.reconcile import CallReconciler
from samad_ivr.calls.routing import RoutingService
from samad_ivr.calls.spool import Spool
from samad_ivr.jobs.announcements import queue_session_announcements
from samad_ivr.jobs.callbacks import AmiQueueLook, CallbackDispatcher
from samad_ivr.jobs.deadline_reminders import remind_agencies
from samad_ivr.jobs.deadlines import run_deadline_jobs
from samad_ivr.jobs.holidays import seed_holidays
from samad_ivr.jobs.leader import Leader, instance_name
from samad_ivr.jobs.runs import JobRuns, on_the_leader
from samad_ivr.jobs.satisfaction_ask import ask_citizens
from samad_ivr.jobs.satisfaction_calls import Callbacks
from samad_ivr.jobs.satisfaction_expiry import close_unanswered
from samad_ivr.jobs.visit_warnings import warn_officials_at_risk
from samad_ivr.live.callback_feed import CallbackFeed
from samad_ivr.live.hub import LiveHub
from samad_ivr.national.listen import AmiListenGateway
from samad_ivr.ops.callpool import create_bounded_pool, create_call_pool
from samad_ivr.ops.health import HealthChecker
from samad_ivr.ops.metrics import Metrics, counted_jobs
from samad_ivr.ops.sdnotify import SystemdNotifier
from samad_ivr.ops.web import ops_feature
from samad_ivr.settings import Settings
from samad_ivr.sms.service import start_sms
from samad_ivr.sms.templates import TemplateRepository
from samad_ivr.softphone.sync import DeskConfigSync
from samad_ivr.startup_checks import check_startup
from samad_ivr.storage.accounts import AccountRepository
from samad_ivr.storage.call_faults import CallFaults
from samad_ivr.storage.callbacks import CallbackRepository
from samad_ivr.storage.calls import CallRepository
from samad_ivr.storage.db import DEFAULT_COMMAND_TIMEOUT, Pool, StorageUnavailable, connection
from samad_ivr.storage.deadlines import DeadlineRecomputer
from samad_ivr.storage.desk import DeskRepository
from samad_ivr.storage.desk_credentials import DeskCredentialRepository
from samad_ivr.storage.lifecycle import RequestLifecycle
from samad_ivr.storage.migrations import apply_migrations, migrations_dir
from samad_ivr.storage.notices import NoticeRepository
from samad_ivr.storage.requests import RequestRepository
from samad_ivr.storage.roster import RosterRepository
from samad_ivr.storage.satisfaction_verdicts import Verdicts
from samad_ivr.storage.status_lookups import StatusLookupRepository
from samad_ivr.transcription.process import supervisor_for
from samad_ivr.web.admin.new_center import queue_reloader_feature
from samad_ivr.web.admin.routes import setup_admin
from samad_ivr.web.admin.sms import setup_admin_sms
from samad_ivr.web.admin.visits import reports_feature
from samad_ivr.web.agency.routes import setup_agency
from samad_ivr.web.app import Feature, WebDeps, create_app
from samad_ivr.web.desk.views import desk_feature
from samad_ivr.web.inspector.routes import inspector_feature
from samad_ivr.web.national.routes import national_feature
from samad_ivr.web.open311.views import open311_feature
from samad_ivr.web.openapi import setup_openapi
from samad_ivr.web.public.status import status_feature
from samad_ivr.web.public.views import public_feature
from samad_ivr.web.reports import agency_reports_feature
from samad_ivr.web.security import setup_security
from scheduler.schedule import Jobs, build_scheduler

log = logging.getLogger(__name__)


class Service:
    """Everything `samad-ivr serve` runs, with an orderly start and stop."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.agi: FastAgiServer | None = None
        self.queue_sync: QueueMemberSync | None = None
        self._background: set[asyncio.Task[None]] = set()
        self._stack = contextlib.AsyncExitStack()
        # Each web feature module contributes its routes (see samad_ivr.web.app);
        # security first: its middlewares guard everything added after it.
        self.web_features: list[Feature] = [
            setup_security,
            setup_openapi,
            setup_admin,
            setup_admin_sms,
            reports_feature(),
            agency_reports_feature(),
            public_feature(),
            open311_feature(),
            status_feature(),
            inspector_feature(),
            setup_agency,
        ]

    async def start(self) -> None:
        s = self.settings
        check_startup(s)  # before anything listens
        # The consoles, SMS and jobs: a console request waits at most 10 s for a connection.
        pool = await create_bounded_pool(
            s.database_url.value, size=s.ops.web_pool_size, acquire_timeout=10.0,
            command_timeout=DEFAULT_COMMAND_TIMEOUT, name="samad-ivr",
        )  # fmt: skip
        self._stack.push_async_callback(pool.close)
        self._spawn(self._migrate_until_done(pool))
        # The call path's own connections, every wait on them bounded: a burst on the
        # consoles or a hanging database never leaves a caller in silence.
        cpool = await create_call_pool(
            s.database_url.value, size=s.ops.call_pool_size, timeout=s.ops.call_db_timeout
        )
        self._stack.push_async_callback(cpool.close)
        self.pool, self.call_pool = pool, cpool

        calls, requests, roster = (
            CallRepository(cpool),
            RequestRepository(cpool),
            RosterRepository(cpool),
        )
        tz = ZoneInfo(s.timezone)
        # Loud failures (issue 14): faults on the call, told to the admins; the probe's
        # last() is the recordings directory's state for /healthz.
        self.call_faults = CallFaults(cpool, s.center_code)
        self.recordings_probe = RecordingsDirProbe(
            s.recordings_dir, min_free_bytes=s.ops.recordings_min_free_mb * 2**20
        )
        intake = CallIntake(
            alarms=CallAlarms(self.call_faults, self.recordings_probe),
            calls=calls,
            requests=requests,
            roster=roster,
            templates=TemplateRepository(cpool),
            desk=DeskRepository(cpool),
            recordings_dir=s.recordings_dir,
            center_code=s.center_code,
            tz=tz,
            lifecycle=RequestLifecycle(cpool, s.lifecycle.deadline),
        )
        # Registered before the finaliser's drain, so it runs after it (LIFO): the
        # assignments the last finalised calls started are waited for too.
        self._stack.push_async_callback(intake.drain)
        self.finaliser = RecordingFinaliser(
            intake=intake, calls=calls, recordings_dir=s.recordings_dir, faults=self.call_faults
        )
        self._stack.push_async_callback(self.finaliser.drain)
        self.spool = Spool(s.spool_dir)
        self.intake = intake
        deps = RouteDeps(
            routing=RoutingService(roster, s.center_code, wait=s.ops.route_wait),
            intake=intake,
            spool=self.spool,
            finaliser=self.finaliser,
            calls=s.calls,
            sounds_dir=s.sounds_dir,
            clock=lambda: datetime.now(UTC),
            kick_queue=self._kick_queue,
        )
        subscribe_deps = SubscribeDeps(
            subscriptions=NoticeRepository(cpool), center_code=s.center_code, clock=deps.clock
        )
        status_deps = StatusDeps(
            lookups=StatusLookupRepository(
                cpool, limits=s.status_limits, center_code=s.center_code,
                templates=TemplateRepository(cpool),
            ),
            clock=deps.clock,
        )  # fmt: skip
        self.verdicts = Verdicts(pool, RequestLifecycle(pool, s.lifecycle.deadline))
        satisfaction_deps = SatisfactionDeps(
            pool=cpool, verdicts=Verdicts(cpool, RequestLifecycle(cpool, s.lifecycle.deadline)),
            calls=calls, finaliser=self.finaliser,
            clock=deps.clock,
        )  # fmt: skip
        self.metrics = Metrics(pools={"calls": cpool, "web": pool}, spool_dir=s.spool_dir)
        self.health = HealthChecker(
            pool=cpool, ami_connected=lambda: self.ami.connected,
            recordings=self.recordings_probe, spool=self.spool,
            backlog_limit=s.ops.spool_backlog_limit, timeout=s.ops.call_db_timeout,
        )  # fmt: skip
        self.routing = deps.routing
        callback_deps = CallbackRouteDeps(
            callbacks=CallbackRepository(cpool), routing=deps.routing.decide,
            policy=s.callbacks.policy, clock=deps.clock, enabled=s.callbacks.enabled,
        )  # fmt: skip
        routes = build_routes(
            deps, subscribe_deps, status_deps=status_deps, satisfaction_deps=satisfaction_deps,
            health_checker=self.health, callback_deps=callback_deps,
        )  # fmt: skip
        self.agi = FastAgiServer(
            self.metrics.instrument_routes(routes),
            command_timeout=s.calls.agi_command_timeout,
            allow=s.agi_allow,
        )
        await self.agi.start(s.agi_bind.host, s.agi_bind.port)
        self._stack.push_async_callback(self.agi.close)

        softphone = s.softphone
        self.ami = AmiClient(s.ami)
        self._stack.callback(self.ami.close)
        # A center created in the console gets its queue: app_queue reloaded over this AMI.
        self.web_features.append(queue_reloader_feature(self.ami))
        # Every desk on duty is a member of the center's queue (on every instance: the
        # rounds are idempotent, so two instances agree).
        # Waiting callers hear their place and wait in Persian (queue_announce.py).
        announcer = QueueAnnouncer(self.ami, every=s.calls.queue_announce_seconds)
        self.queue_sync = QueueMemberSync(
            self.ami, queue_decision(deps.routing), deps.clock,
            interval=s.calls.queue_sync_seconds, on_status=announcer.observe,
        )  # fmt: skip
        self._spawn(self.queue_sync.run())
        self.desk_sync = (
            DeskConfigSync(
                softphone, DeskRepository(pool), self.ami, DeskCredentialRepository(pool)
            )
            if softphone.desks_file is not None
            else None
        )
        await self._start_ami()
        if s.queues_file is not None:
            # Every center's queue in Asterisk's include file (a center created while the
            # service was down, or a file lost with a reinstalled Asterisk).
            self._spawn(sync_center_queues(pool, s.queues_file, self.ami))
        sms = await start_sms(
            pool, s.sms, web_app_public_url=f"http://{s.web_bind}", verdicts=self.verdicts
        )
        self._stack.push_async_callback(sms.close)
        self.web_features.append(sms.web_feature)
        self.web_features.append(
            ops_feature(
                metrics=self.metrics, health=self.health, pool=pool, token=s.ops.metrics_token,
                max_inflight=s.ops.web_max_inflight, queue_wait=s.ops.web_queue_wait,
            )
        )
        await self._start_web(pool)

        # Transcription runs in processes of its own, at a lower priority than calls.
        self.transcribers = supervisor_for(s)
        if self.transcribers is not None:
            self.transcribers.start()
            self._stack.push_async_callback(self.transcribers.stop)

        # Jobs run on the province's leader only: two instances may serve one node.
        self.leader = Leader(s.database_url.value, s.center_code, instance_name(s.agi_bind.port))
        await self.leader.start()
        self._stack.push_async_callback(self.leader.close)
        runs = JobRuns(pool, self.leader.instance)
        jobs = counted_jobs(self.metrics, self._jobs(pool))
        scheduler = build_scheduler(
            on_the_leader(jobs, self.leader, runs), callback_seconds=s.callbacks.dispatch_seconds
        )
        scheduler.start()
        self._stack.callback(scheduler.shutdown, wait=False)

    async def _start_ami(self) -> None:
        """Live desk state (its own event connection) and the action client (listen-in).

        Neither is needed to answer calls, so Asterisk being down here only degrades the
        consoles; both keep reconnecting."""
        s = self.settings
        self.live = LiveHub()
        live_stream = AmiEventStream(s.ami, self.live)
        self._stack.callback(live_stream.close)
        await live_stream.start(timeout=5)
        # Pending callbacks are in the database: polled onto the same queue board.
        self._spawn(CallbackFeed(self.pool, self.live).run())
        self._spawn(self._connect_ami())
        self.web_features += [
            desk_feature(self.live, s.softphone),
            national_feature(AmiListenGateway(self.ami)),
        ]

    async def _connect_ami(self) -> None:
        while True:
            try:
                await self.ami.connect(timeout=5)
                break
            except AmiError as exc:
                log.warning("AMI action connection not up (%s); retrying", exc)
                await asyncio.sleep(5)
        # Browser desks can register now rather than at the next scheduled round.
        if self.desk_sync is not None:
            try:
                await self.desk_sync.sync()
            except (StorageUnavailable, asyncpg.PostgresError) as exc:
                log.warning("softphone desks not synced yet (%s); the scheduler retries", exc)

    async def _start_web(self, pool: Pool) -> None:
        s = self.settings
        app = create_app(WebDeps(settings=s, pool=pool), features=self.web_features)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        self._stack.push_async_callback(runner.cleanup)
        await web.TCPSite(runner, s.web_bind.host, s.web_bind.port).start()
        host, port = runner.addresses[0][:2]  # the real port when bound to port 0
        self.web_url = f"http://{host}:{port}"
        log.info("web listening on %s", self.web_url)

    def _jobs(self, pool: Pool) -> Jobs:
        days_before = self.settings.notice_days_before

        async def sync_desks() -> None:
            if self.desk_sync is not None:
                await self.desk_sync.sync()

        async def announce() -> None:
            await queue_session_announcements(pool, datetime.now(UTC), days_before)

        async def warn() -> None:
            await warn_officials_at_risk(pool, datetime.now(UTC))

        async def holidays() -> None:
            await seed_holidays(pool, datetime.now(UTC), self.settings.lifecycle.deadline)

        async def purge() -> None:
            await AccountRepository(pool).purge(datetime.now(UTC) - timedelta(days=30))

        async def deadlines() -> None:
            await run_deadline_jobs(pool, datetime.now(UTC), remind=False)

        async def remind() -> None:
            await remind_agencies(pool, datetime.now(UTC))

        async def reconcile() -> None:
            policy = self.settings.lifecycle.deadline
            await DeadlineRecomputer(pool, policy).reconcile(datetime.now(UTC))

        satisfaction = self.settings.satisfaction
        callbacks = Callbacks(
            pool, AmiOriginator(self.ami), satisfaction.policy.call, dial=satisfaction.dial,
            caller_id=satisfaction.caller_id, max_calls=satisfaction.max_calls,
            clock=lambda: datetime.now(UTC),
        )  # fmt: skip

        async def ask_satisfaction() -> None:
            await ask_citizens(pool, datetime.now(UTC), satisfaction.policy)

        async def ring_satisfaction() -> None:
            if self.ami.connected:  # without AMI nothing can ring: the questions wait
                await callbacks.ring_due()

        cb = self.settings.callbacks
        dispatcher = CallbackDispatcher(
            CallbackRepository(pool), RequestRepository(pool), TemplateRepository(pool),
            self.routing.decide, AmiQueueLook(self.ami), AmiOriginator(self.ami), cb.policy,
            dial=cb.dial, caller_id=cb.caller_id, clock=lambda: datetime.now(UTC),
            can_ring=lambda: self.ami.connected,
        )  # fmt: skip
        self._stack.push_async_callback(dispatcher.drain)

        async def place_callbacks() -> None:
            await dispatcher.run_once()  # without AMI only the conversions are done

        async def close_satisfaction() -> None:
            await close_unanswered(pool, self.verdicts, datetime.now(UTC))

        return Jobs(
            replay_spool=self.replay_spool,
            sweep_recordings=self.sweep_recordings,
            announce_sessions=_quiet_when_db_down(announce),
            warn_visits=_quiet_when_db_down(warn),
            seed_holidays=_quiet_when_db_down(holidays),
            purge_accounts=_quiet_when_db_down(purge),
            sync_softphone_desks=_quiet_when_db_down(sync_desks),
            deadlines=_quiet_when_db_down(deadlines),
            remind_agencies=_quiet_when_db_down(remind),
            reconcile_deadlines=_quiet_when_db_down(reconcile),
            ask_satisfaction=_quiet_when_db_down(ask_satisfaction),
            ring_satisfaction=_quiet_when_db_down(ring_satisfaction),
            close_unanswered_satisfaction=_quiet_when_db_down(close_satisfaction),
            reconcile_calls=_quiet_when_db_down(self.reconcile_calls),
            place_callbacks=_quiet_when_db_down(place_callbacks),
        )

    async def replay_spool(self) -> None:
        stats = await self.spool.replay(self.intake, self.finaliser)
        if stats.replayed or stats.rejected:
            log.info(
                "spool: %s replayed, %s rejected, %s waiting",
                stats.replayed,
                stats.rejected,
                stats.remaining,
            )

    async def reconcile_calls(self) -> None:
        """Calls Asterisk's CEL holds that the service never stored (killed meanwhile)."""
        done = await CallReconciler(
            self.call_pool, self.intake, self.finaliser, center_code=self.settings.center_code
        ).run()
        if done.stored or done.unreadable:
            log.warning("reconciled from CEL: %s calls stored, %s unreadable events",
                        done.stored, done.unreadable)  # fmt: skip

    async def sweep_recordings(self) -> None:
        try:
            await self.finaliser.sweep()
        except StorageUnavailable as exc:
            log.warning("recording sweep skipped: %s", exc)

    async def _migrate_until_done(self, pool: Pool) -> None:
        delay = 1.0
        while True:
            try:
                async with connection(pool) as conn:
                    applied = await apply_migrations(conn, migrations_dir())
                if applied:
                    log.info("migrations applied: %s", ", ".join(applied))
                return
            except (OSError, StorageUnavailable, TimeoutError) as exc:
                log.error("database not reachable for migrations (%s); retrying", exc)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 60.0)

    def _kick_queue(self) -> None:
        if self.queue_sync is not None:
            self.queue_sync.kick()

    def _spawn(self, coro: Coroutine[object, object, None]) -> None:
        task = asyncio.create_task(coro)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def stop(self) -> None:
        for task in list(self._background):
            task.cancel()
        await asyncio.gather(*self._background, return_exceptions=True)
        await self._stack.aclose()


def _quiet_when_db_down(job: Callable[[], Awaitable[None]]) -> Callable[[], Awaitable[None]]:
    """A job that finds the database down logs one line and waits for its next run."""

    async def run() -> None:
        try:
            await job()
        except StorageUnavailable as exc:
            log.warning("job %s skipped: %s", job.__name__, exc)

    return run


async def serve(settings: Settings) -> None:
    service = Service(settings)
    await service.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    # systemd (Type=notify): ready once FastAGI and the web listen; the watchdog pings
    # come from this loop, so a stalled loop is restarted (scripts/systemd/).
    notifier = SystemdNotifier.from_env()
    notifier.notify("READY=1", f"STATUS=FastAGI on {settings.agi_bind}, web on {service.web_url}")
    watchdog = asyncio.create_task(notifier.watchdog())
    try:
        await stop.wait()
    finally:
        log.info("stopping")
        notifier.notify("STOPPING=1")
        watchdog.cancel()
        await service.stop()
        notifier.close()
