"""The worker against a real PostgreSQL and the real decoder: queue, retries, outage."""

from __future__ import annotations

import asyncio
import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from samad_ivr.storage.db import Pool, StorageUnavailable, create_pool
from samad_ivr.storage.topic_lexicon import TopicLexicon
from samad_ivr.storage.transcription_jobs import TranscriptionJobs
from samad_ivr.transcription.config import TranscriptionSettings
from samad_ivr.transcription.engine import FileTranscript, VoskTranscriber
from samad_ivr.transcription.worker import TranscriptionWorker

from .conftest import KO_MODEL
from .factories import add_center, add_recording
from .pgproxy import CuttableProxy

SETTINGS = replace(
    TranscriptionSettings.from_env({"SAMAD_VOSK_MODEL": str(KO_MODEL)}),
    nice=0,
    retry_base_seconds=0.0,  # retries are due at once, so the test needs no clock
    max_attempts=2,
    idle_seconds=0.1,
)


@pytest.fixture
def recordings(tmp_path: Path, call_recording: Path) -> Path:
    shutil.copy(call_recording, tmp_path / "good.wav")
    shutil.copy(call_recording, tmp_path / "good2.wav")
    (tmp_path / "bad.wav").write_bytes(b"RIFF\x10\x00\x00\x00WAVEnot audio at all" * 50)
    return tmp_path


async def job(pool: Pool, recording_id: int) -> dict[str, object]:
    async with pool.acquire() as conn:
        row = await conn.fetchrow(
            "SELECT state, attempts, last_error, audio_seconds, processing_seconds"
            " FROM transcription_jobs WHERE recording_id = $1",
            recording_id,
        )
    assert row is not None, "a finished recording is queued by the trigger"
    return dict(row)


async def drain(worker: TranscriptionWorker, limit: int = 10) -> int:
    for n in range(limit):
        if not await worker.run_once():
            return n
    raise AssertionError("the queue never emptied")


async def test_a_corrupt_file_fails_with_its_reason_after_its_retries_and_the_next_is_done(
    db_pool: Pool, ko_transcriber: VoskTranscriber, recordings: Path
) -> None:
    center = await add_center(db_pool)
    bad = await add_recording(db_pool, center, "bad.wav")
    good = await add_recording(db_pool, center, "good.wav")
    worker = TranscriptionWorker(
        jobs=TranscriptionJobs(db_pool, "w1"),
        transcriber=ko_transcriber,
        recordings_dir=recordings,
        settings=SETTINGS,
    )
    assert await drain(worker) == 3  # bad, bad again, good

    failed = await job(db_pool, bad)
    assert (failed["state"], failed["attempts"]) == ("failed", 2)
    assert "bad.wav" in str(failed["last_error"])
    done = await job(db_pool, good)
    assert (done["state"], done["attempts"]) == ("done", 1)
    assert float(str(done["audio_seconds"])) > 2.0
    async with db_pool.acquire() as conn:
        rows = await conn.fetch(
            "SELECT speaker, text, words FROM transcripts WHERE recording_id = $1 ORDER BY speaker",
            good,
        )
    assert [r["speaker"] for r in rows] == ["caller", "hotline"]
    assert "너무" in rows[0]["text"]
    assert "너무" not in rows[1]["text"]


async def test_a_database_outage_while_a_transcript_is_stored_loses_nothing(
    database_url: str, db_pool: Pool, ko_transcriber: VoskTranscriber, recordings: Path
) -> None:
    center = await add_center(db_pool)
    first = await add_recording(db_pool, center, "good.wav")
    second = await add_recording(db_pool, center, "good2.wav")
    proxy = CuttableProxy(database_url)
    await proxy.start()
    loop = asyncio.get_running_loop()
    decoded: list[Path] = []

    class CutAfterFirstFile:
        name = ko_transcriber.name

        def transcribe(self, path: Path) -> FileTranscript:
            result = ko_transcriber.transcribe(path)
            decoded.append(path)
            if len(decoded) == 1:  # the database goes away while the worker decodes
                asyncio.run_coroutine_threadsafe(proxy.cut(), loop).result(timeout=10)
            return result

    pool = await create_pool(proxy.dsn, min_size=0, max_size=2, connect_timeout=2)
    try:
        worker = TranscriptionWorker(
            jobs=TranscriptionJobs(pool, "w2"),
            transcriber=CutAfterFirstFile(),
            recordings_dir=recordings,
            settings=SETTINGS,
        )
        with pytest.raises(StorageUnavailable):
            await worker.run_once()
        with pytest.raises(StorageUnavailable):  # still down: the transcript is kept
            await worker.run_once()
        await proxy.start()  # back, on the same port
        assert await drain(worker) == 1  # stores the kept transcript, then does the next
    finally:
        await proxy.cut()
        await pool.close()
    assert decoded == [recordings / "good.wav", recordings / "good2.wav"]  # none twice
    for recording in (first, second):
        assert (await job(db_pool, recording))["state"] == "done"


async def test_the_callers_words_suggest_a_topic_and_a_chosen_topic_is_left_alone(
    db_pool: Pool, ko_transcriber: VoskTranscriber, recordings: Path
) -> None:
    center = await add_center(db_pool)
    recording = await add_recording(db_pool, center, "good.wav")
    async with db_pool.acquire() as conn:
        suggested, chosen = [
            r["code"]
            for r in await conn.fetch(
                "SELECT code FROM topics WHERE center_id = $1 ORDER BY position LIMIT 2", center
            )
        ]
        call_id = await conn.fetchval("SELECT call_id FROM recordings WHERE id = $1", recording)
        await conn.execute(
            "INSERT INTO requests (tracking_code, call_id, caller_e164, status, center_id, topic)"
            " VALUES ('5550000001', $1, '+989121234567', 'registered', $2, $3)",
            call_id, center, chosen,
        )  # fmt: skip
    await TopicLexicon(db_pool).add(center, suggested, "너무", 1)
    await TopicLexicon(db_pool).add(center, chosen, "감사합니다", 5)  # the hotline's words
    worker = TranscriptionWorker(
        jobs=TranscriptionJobs(db_pool, "w3"),
        transcriber=ko_transcriber,
        recordings_dir=recordings,
        settings=SETTINGS,
    )
    assert await drain(worker) == 1
    suggestion = await TopicLexicon(db_pool).suggestion(call_id)
    assert suggestion is not None
    assert (suggestion.topic, suggestion.score, suggestion.matched) == (suggested, 2, ("너무",))
    async with db_pool.acquire() as conn:
        topic = await conn.fetchval("SELECT topic FROM requests WHERE call_id = $1", call_id)
    assert topic == chosen
