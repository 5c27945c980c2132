"""The spool: call reports kept as files while the database (or the service) is down.

Written by the post-call route when PostgreSQL is unreachable and by the classic AGI
fallback script (agi/samad_fallback.py) when the service itself is.  `replay()` feeds
them through the same intake as live calls; a replayed file moves to done/, a file that
is not a valid report moves to rejected/ — nothing is deleted.
"""

from __future__ import annotations

import asyncio
import logging
import os
from dataclasses import dataclass
from pathlib import Path

from samad_ivr.calls.finaliser import RecordingFinaliser
from samad_ivr.calls.intake import CallIntake
from samad_ivr.calls.report import CallReport, report_from_json
from samad_ivr.storage.db import StorageUnavailable

log = logging.getLogger(__name__)
SUFFIX = ".post_call.json"


@dataclass(frozen=True, slots=True)
class ReplayStats:
    replayed: int
    rejected: int
    remaining: int


class Spool:
    def __init__(self, directory: Path) -> None:
        self.directory = directory

    async def write(self, report: CallReport) -> Path:
        return await asyncio.to_thread(self._write, report)

    def _write(self, report: CallReport) -> Path:
        self.directory.mkdir(parents=True, exist_ok=True)
        final = self.directory / f"{report.uniqueid}{SUFFIX}"
        partial = final.with_name(final.name + ".part")
        with partial.open("w", encoding="utf-8") as handle:
            handle.write(report.to_json())
            handle.flush()
            os.fsync(handle.fileno())
        partial.replace(final)
        return final

    def pending(self) -> list[Path]:
        if not self.directory.is_dir():
            return []
        return sorted(self.directory.glob(f"*{SUFFIX}"), key=lambda p: p.stat().st_mtime)

    async def replay(self, intake: CallIntake, finaliser: RecordingFinaliser) -> ReplayStats:
        replayed = rejected = 0
        files = await asyncio.to_thread(self.pending)
        for index, path in enumerate(files):
            try:
                text = await asyncio.to_thread(path.read_text, "utf-8")
                report = report_from_json(text)
            except (OSError, UnicodeDecodeError, ValueError) as exc:
                log.error("spool file %s rejected: %s", path.name, exc)
                await asyncio.to_thread(_move, path, self.directory / "rejected")
                rejected += 1
                continue
            try:
                result = await intake.take(report, final=True)
                if report.recording is not None:
                    await finaliser.submit(result.call_id, report.recording)
            except StorageUnavailable as exc:
                log.warning("spool replay paused, database unavailable: %s", exc)
                return ReplayStats(replayed, rejected, len(files) - index)
            await asyncio.to_thread(_move, path, self.directory / "done")
            replayed += 1
            log.info("spooled call %s replayed", report.uniqueid)
        return ReplayStats(replayed, rejected, 0)


def _move(path: Path, directory: Path) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    path.replace(directory / path.name)
