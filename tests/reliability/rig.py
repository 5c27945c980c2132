"""Helpers: a call intake wired with faults and the recordings probe, on real PostgreSQL."""

from __future__ import annotations

import wave
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

import asyncpg

from samad_ivr.calls.alarms import CallAlarms
from samad_ivr.calls.finaliser import RecordingFinaliser
from samad_ivr.calls.intake import CallIntake
from samad_ivr.calls.recdir import RecordingsDirProbe
from samad_ivr.sms.templates import TemplateRepository
from samad_ivr.storage.call_faults import CallFaults
from samad_ivr.storage.calls import CallRepository
from samad_ivr.storage.desk import DeskRepository
from samad_ivr.storage.requests import RequestRepository
from samad_ivr.storage.roster import RosterRepository


@dataclass
class Rig:
    pool: asyncpg.Pool
    recordings: Path
    calls: CallRepository
    faults: CallFaults
    probe: RecordingsDirProbe
    intake: CallIntake
    finaliser: RecordingFinaliser

    async def notifications(self) -> list[asyncpg.Record]:
        async with self.pool.acquire() as conn:
            return await conn.fetch(
                "SELECT kind, subject, body, dedup_key FROM admin_notifications"
            )


def rig_for(pool: asyncpg.Pool, recordings: Path, *, min_free: int = 0, **kw: int) -> Rig:
    calls = CallRepository(pool)
    faults = CallFaults(pool, "hamedan")
    probe = RecordingsDirProbe(recordings, min_free_bytes=min_free, max_age=0)
    intake = CallIntake(
        calls=calls, requests=RequestRepository(pool), roster=RosterRepository(pool),
        templates=TemplateRepository(pool), desk=DeskRepository(pool),
        recordings_dir=recordings, center_code="hamedan", tz=ZoneInfo("Asia/Tehran"),
        alarms=CallAlarms(faults, probe),
    )  # fmt: skip
    finaliser = RecordingFinaliser(
        intake=intake, calls=calls, recordings_dir=recordings, wait_timeout=0.3,
        faults=faults, **kw,  # type: ignore[arg-type]
    )  # fmt: skip
    return Rig(pool, recordings, calls, faults, probe, intake, finaliser)


def write_wav(path: Path, seconds: float, *, channels: int = 1) -> None:
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(channels)
        wav.setsampwidth(2)
        wav.setframerate(8000)
        wav.writeframes(b"\x01\x00" * int(8000 * seconds) * channels)
