"""The worker as `samad-ivr serve` runs it: a separate process, at idle priority."""

from __future__ import annotations

import asyncio
import os
import shutil
from pathlib import Path

from samad_ivr.settings import Settings
from samad_ivr.storage.db import Pool
from samad_ivr.transcription.process import WorkerSupervisor, supervisor_for

from .conftest import KO_MODEL
from .factories import add_center, add_recording


async def _until_done(pool: Pool, recording_id: int) -> None:
    sql = "SELECT state FROM transcription_jobs WHERE recording_id = $1"
    for _ in range(240):  # polling the database: there is no event to wait for
        if await pool.fetchval(sql, recording_id) == "done":
            return
        await asyncio.sleep(0.5)
    raise AssertionError("the worker process never finished the recording")


async def test_serve_runs_the_worker_in_its_own_idle_priority_process_that_does_the_queue(
    db_pool: Pool, database_url: str, tmp_path: Path, call_recording: Path
) -> None:
    shutil.copy(call_recording, tmp_path / "call.wav")
    recording = await add_recording(db_pool, await add_center(db_pool), "call.wav")
    settings = Settings.from_env({
        "SAMAD_DATABASE_URL": database_url, "SAMAD_RECORDINGS_DIR": str(tmp_path),
        "SAMAD_VOSK_MODEL": str(KO_MODEL), "SAMAD_TRANSCRIBE_IDLE_SECONDS": "1",
    })  # fmt: skip
    supervisor = supervisor_for(settings)
    assert isinstance(supervisor, WorkerSupervisor)
    supervisor.start()
    try:
        async with asyncio.timeout(120):
            await _until_done(db_pool, recording)
        [pid] = supervisor.pids
        assert pid != os.getpid()
        assert os.sched_getscheduler(pid) == os.SCHED_IDLE
        assert os.getpriority(os.PRIO_PROCESS, pid) >= 10
    finally:
        await supervisor.stop()
    assert supervisor.alive == 0
    speakers = await db_pool.fetch(
        "SELECT speaker FROM transcripts WHERE recording_id = $1 ORDER BY speaker", recording
    )
    assert [r["speaker"] for r in speakers] == ["caller", "hotline"]


def test_without_a_model_no_worker_runs_and_a_wrong_directory_turns_it_off(
    tmp_path: Path,
) -> None:
    assert supervisor_for(Settings.from_env({})) is None
    assert supervisor_for(Settings.from_env({"SAMAD_VOSK_MODEL": str(tmp_path)})) is None
