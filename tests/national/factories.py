"""Rows and files the national tests share: calls with recordings, WAV files."""

from __future__ import annotations

import itertools
import math
import struct
import wave
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from samad_ivr.storage.db import Pool

_counter = itertools.count(1)


def write_wav(path: Path, seconds: float = 2.0, rate: int = 8000) -> None:
    """A two-channel 8 kHz tone, like MixMonitor's files."""
    path.parent.mkdir(parents=True, exist_ok=True)
    frames = bytearray()
    for i in range(int(seconds * rate)):
        sample = int(8000 * math.sin(2 * math.pi * 440 * i / rate))
        frames += struct.pack("<hh", sample, sample // 2)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(2)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(bytes(frames))


@dataclass(frozen=True, slots=True)
class StoredCall:
    call_id: int
    recording_id: int
    uniqueid: str


async def make_call(
    pool: Pool,
    center_id: int | None,
    recordings_dir: Path,
    *,
    started_at: datetime | None = None,
    live: bool = False,
    caller: str = "+989123456789",
    tracking_code: str | None = None,
    status: str = "registered",
) -> StoredCall:
    n = next(_counter)
    uniqueid = f"1700000000.{n}"
    start = started_at or datetime.now(UTC) - timedelta(minutes=n)
    rel = f"calls/{n}.wav"
    write_wav(recordings_dir / rel)
    async with pool.acquire() as conn:
        call_id = await conn.fetchval(
            """INSERT INTO calls (uniqueid, center_id, caller_raw, caller_e164, started_at,
                                  ended_at, disposition)
               VALUES ($1, $2, $3, $3, $4, $5, 'answered') RETURNING id""",
            uniqueid, center_id, caller, start, None if live else start + timedelta(minutes=1),
        )  # fmt: skip
        recording_id = await conn.fetchval(
            "INSERT INTO recordings (call_id, kind, path, finished_at) "
            "VALUES ($1, 'call', $2, now()) RETURNING id",
            call_id, rel,
        )  # fmt: skip
        code = tracking_code or f"{n:010d}"
        await conn.execute(
            "INSERT INTO requests (tracking_code, call_id, caller_e164, status) "
            "VALUES ($1, $2, $3, $4)",
            code, call_id, caller, status,
        )  # fmt: skip
    return StoredCall(call_id, recording_id, uniqueid)


async def make_official(pool: Pool, center_id: int, name: str) -> int:
    n = next(_counter)
    async with pool.acquire() as conn:
        official_id: int = await conn.fetchval(
            "INSERT INTO officials (center_id, name, title, desk_endpoint) "
            "VALUES ($1, $2, 'مدیرکل', $3) RETURNING id",
            center_id, name, f"PJSIP/desk-{n}",
        )  # fmt: skip
    return official_id


async def make_counted_call(
    pool: Pool,
    center_id: int,
    started_at: datetime,
    disposition: str | None,
    *,
    official_id: int | None = None,
    queue_wait: float | None = None,
    topic: str | None = None,
    request: bool = True,
    status: str = "registered",
) -> int:
    """A call as the dashboard counts it (no recording): its outcome, official, queue
    wait and, with `request`, a request with `topic` and `status`."""
    n = next(_counter)
    async with pool.acquire() as conn:
        call_id: int = await conn.fetchval(
            """INSERT INTO calls (uniqueid, center_id, caller_raw, started_at, ended_at,
                                  disposition, official_id, queue_wait_seconds)
               VALUES ($1, $2, '09120000000', $3, $4, $5, $6, $7) RETURNING id""",
            f"1700000001.{n}", center_id, started_at,
            None if disposition is None else started_at + timedelta(minutes=2),
            disposition, official_id, queue_wait,
        )  # fmt: skip
        if request:
            await conn.execute(
                "INSERT INTO requests (tracking_code, call_id, official_id, topic, status) "
                "VALUES ($1, $2, $3, $4, $5)",
                f"{n + 5_000_000_000:010d}", call_id, official_id, topic, status,
            )  # fmt: skip
    return call_id
