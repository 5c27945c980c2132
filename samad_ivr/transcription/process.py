"""Worker processes: started by `samad-ivr serve`, at a lower CPU priority than calls.

Each process loads the model once, opens its own small pool and runs
`TranscriptionWorker.run`.  The supervisor in the service restarts a process that died
(a vosk crash takes the process, not the service) and stops them all at shutdown; a job
that a dead process held is taken again when its lease runs out.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing
import os
import signal
import socket
from dataclasses import dataclass
from multiprocessing.process import BaseProcess
from pathlib import Path

from samad_ivr.settings import Settings
from samad_ivr.storage.db import StorageUnavailable, create_pool
from samad_ivr.storage.transcription_jobs import TranscriptionJobs
from samad_ivr.transcription.config import TranscriptionSettings
from samad_ivr.transcription.model_dir import ModelError, check_model

log = logging.getLogger(__name__)

RESTART_PAUSE = 5.0
STOP_TIMEOUT = 10.0


@dataclass(frozen=True, slots=True)
class WorkerSpec:
    """Everything a worker process needs, picklable (the process is spawned, not forked)."""

    name: str
    dsn: str
    recordings_dir: Path
    settings: TranscriptionSettings
    log_level: str = "INFO"
    vocabulary: tuple[str, ...] = ()  # tests pin the decoder with a grammar


def worker_main(spec: WorkerSpec) -> None:
    """Entry point of a worker process."""
    from samad_ivr.logs import configure_logging

    configure_logging(spec.log_level)
    lower_priority(spec.settings.nice)
    # The service stops us with SIGTERM; leave through the loop so the pool closes.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(spec))


def lower_priority(nice: int) -> str:
    """Give this process's CPU to anything else that wants it.

    Niceness alone is not enough: measured (benchmarks/s1.py), two decoders at nice 10
    on two cores still made the FastAGI server's p99 four times longer, because the
    scheduler lets a niced task finish its slice before a woken call task runs.
    SCHED_IDLE tasks are preempted at once; the niceness stays for systems without it."""
    os.nice(nice)
    if nice == 0:  # tests and a deliberate SAMAD_TRANSCRIBE_NICE=0: normal priority
        return "normal"
    try:
        os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
    except (AttributeError, OSError) as exc:
        log.warning("SCHED_IDLE not available (%s); running at nice %s", exc, nice)
        return f"nice {nice}"
    return f"SCHED_IDLE, nice {nice}"


async def _serve(spec: WorkerSpec) -> None:
    from samad_ivr.transcription.engine import VoskTranscriber
    from samad_ivr.transcription.worker import TranscriptionWorker

    assert spec.settings.model_dir is not None
    transcriber = await asyncio.to_thread(
        VoskTranscriber, spec.settings.model_dir, vocabulary=list(spec.vocabulary) or None
    )
    log.info("transcription worker %s: model %s loaded", spec.name, transcriber.name)
    delay = 1.0
    while True:
        try:
            pool = await create_pool(spec.dsn, min_size=0, max_size=2)
            break
        except StorageUnavailable as exc:
            log.warning("transcription worker %s waits for the database: %s", spec.name, exc)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 60.0)
    try:
        worker = TranscriptionWorker(
            jobs=TranscriptionJobs(pool, spec.name),
            transcriber=transcriber,
            recordings_dir=spec.recordings_dir,
            settings=spec.settings,
        )
        await worker.run()
    finally:
        await pool.close()


class WorkerSupervisor:
    """Keeps `count` worker processes alive while the service runs."""

    def __init__(self, specs: list[WorkerSpec]) -> None:
        self._specs = specs
        self._ctx = multiprocessing.get_context("spawn")
        self._procs: dict[str, BaseProcess] = {}
        self._task: asyncio.Task[None] | None = None

    @property
    def pids(self) -> list[int]:
        return [p.pid for p in self._procs.values() if p.pid is not None and p.is_alive()]

    @property
    def alive(self) -> int:
        return sum(1 for p in self._procs.values() if p.is_alive())

    def start(self) -> None:
        for spec in self._specs:
            self._start(spec)
        self._task = asyncio.create_task(self._watch())

    def _start(self, spec: WorkerSpec) -> None:
        proc = self._ctx.Process(
            target=worker_main, args=(spec,), name=f"samad-{spec.name}", daemon=True
        )
        proc.start()
        self._procs[spec.name] = proc
        log.info("transcription worker %s started (pid %s)", spec.name, proc.pid)

    async def _watch(self) -> None:
        while True:
            await asyncio.sleep(RESTART_PAUSE)
            for spec in self._specs:
                proc = self._procs[spec.name]
                if not proc.is_alive():
                    log.error(
                        "transcription worker %s exited (code %s); restarting",
                        spec.name,
                        proc.exitcode,
                    )
                    proc.close()
                    self._start(spec)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        for proc in self._procs.values():
            if proc.is_alive():
                proc.terminate()
        await asyncio.to_thread(self._join_all)

    def _join_all(self) -> None:
        for proc in self._procs.values():
            proc.join(STOP_TIMEOUT)
            if proc.is_alive():
                proc.kill()
                proc.join(STOP_TIMEOUT)


def supervisor_for(settings: Settings) -> WorkerSupervisor | None:
    """The worker processes `samad-ivr serve` runs; None when transcription is off.

    A model directory that is not a usable model turns transcription off with an error
    in the log (and on the admin page) rather than stopping the service: calls matter
    more than transcripts."""
    t = settings.transcription
    if t.model_dir is None:
        log.info("transcription off: SAMAD_VOSK_MODEL is not set")
        return None
    try:
        check_model(t.model_dir)
    except ModelError as exc:
        log.error("transcription off: %s", exc)
        return None
    level = logging.getLevelName(logging.getLogger().getEffectiveLevel())
    specs = [
        WorkerSpec(
            name=f"transcribe-{socket.gethostname()}-{os.getpid()}-{n}",
            dsn=settings.database_url.value,
            recordings_dir=settings.recordings_dir,
            settings=t,
            log_level=str(level),
        )
        for n in range(1, t.workers + 1)
    ]
    return WorkerSupervisor(specs)
