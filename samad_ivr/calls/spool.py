"""The spool: call reports kept as files while the database (or the service) is down.

Written by the post-call route when PostgreSQL is unreachable and by the classic AGI
fallback script (agi/samad_fallback.py) when the service itself is.  `replay()` feeds
them through the same intake as live calls; a replayed file moves to done/, a file that
is not a valid report moves to rejected/ — nothing is deleted.

A database outage pauses the replay (the files wait, untouched, in order).  Any other
failure is counted per file (`<file>.tries`, written before the try, so a replay killed
halfway counts too and the file is replayed once more — intake is idempotent — and then
moved); the file behind it is tried next, and after `max_tries` the file moves to
rejected/ with `<file>.reason`.  A file being replayed is locked (flock), so two
instances sharing the spool never replay it at the same time.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from samad_ivr.calls.finaliser import RecordingFinaliser
from samad_ivr.calls.intake import CallIntake
from samad_ivr.calls.report import CallReport, report_from_json
from samad_ivr.storage.db import StorageUnavailable

log = logging.getLogger(__name__)
SUFFIX = ".post_call.json"
DEFAULT_MAX_TRIES = 3


@dataclass(frozen=True, slots=True)
class ReplayStats:
    replayed: int
    rejected: int
    remaining: int


class Spool:
    def __init__(self, directory: Path, *, max_tries: int = DEFAULT_MAX_TRIES) -> None:
        self.directory = directory
        self.max_tries = max_tries

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
            with _locked(path) as locked:
                if not locked:
                    continue  # another instance is replaying it right now
                try:
                    outcome = await self._replay_one(path, intake, finaliser)
                except StorageUnavailable as exc:
                    log.warning("spool replay paused, database unavailable: %s", exc)
                    return ReplayStats(replayed, rejected, len(files) - index)
            replayed += outcome == "replayed"
            rejected += outcome == "rejected"
        return ReplayStats(replayed, rejected, 0)

    async def _replay_one(
        self, path: Path, intake: CallIntake, finaliser: RecordingFinaliser
    ) -> str:
        """'replayed', 'rejected' or 'failed' (kept for another try); an outage raises."""
        try:
            text = await asyncio.to_thread(path.read_text, "utf-8")
            report = report_from_json(text)
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            await self._reject(path, f"not a call report: {exc}")
            return "rejected"
        tries = await asyncio.to_thread(_count_try, path)
        try:
            result = await intake.take(report, final=True)
            if report.recording is not None:
                await finaliser.submit(result.call_id, report.recording)
        except StorageUnavailable:
            await asyncio.to_thread(_uncount_try, path, tries)
            raise
        except Exception as exc:  # anything else: this file's problem, not the next one's
            reason = f"{type(exc).__name__}: {exc}"
            if tries >= self.max_tries:
                await self._reject(path, f"{reason} (after {tries} tries)")
                return "rejected"
            log.error("spool file %s failed (try %s of %s): %s", path.name, tries,
                      self.max_tries, reason)  # fmt: skip
            return "failed"
        await asyncio.to_thread(_move, path, self.directory / "done")
        log.info("spooled call %s replayed", report.uniqueid)
        return "replayed"

    async def _reject(self, path: Path, reason: str) -> None:
        log.error("spool file %s moved aside: %s", path.name, reason)
        await asyncio.to_thread(_move_aside, path, self.directory / "rejected", reason)


def _tries_file(path: Path) -> Path:
    return path.with_name(path.name + ".tries")


def _count_try(path: Path) -> int:
    """Count the try before making it (durably): a try killed halfway is counted too."""
    marker = _tries_file(path)
    try:
        tries = int(marker.read_text("ascii").strip() or 0) + 1
    except (OSError, ValueError):
        tries = 1
    partial = marker.with_name(marker.name + ".part")
    partial.write_text(str(tries), "ascii")
    partial.replace(marker)
    return tries


def _uncount_try(path: Path, tries: int) -> None:
    """An outage is not the file's fault: the try it interrupted does not count."""
    marker = _tries_file(path)
    if tries <= 1:
        marker.unlink(missing_ok=True)
    else:
        marker.write_text(str(tries - 1), "ascii")


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[bool]:
    try:
        handle = path.open("rb")
    except OSError:
        yield False  # gone: replayed by someone else meanwhile
        return
    with handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            yield False
            return
        # Moved to done/ by another instance between listing and locking?
        yield path.exists()


def _move_aside(path: Path, directory: Path, reason: str) -> None:
    _move(path, directory)
    (directory / (path.name + ".reason")).write_text(reason + "\n", "utf-8")
    _tries_file(path).unlink(missing_ok=True)


def _move(path: Path, directory: Path) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    path.replace(directory / path.name)
    _tries_file(path).unlink(missing_ok=True)
