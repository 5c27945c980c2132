"""Finish call recordings: wait for MixMonitor to close the file, then hash and store it.

MixMonitor writes the file until after the hangup handler has run and then touches
`<file>.done` (see the dialplan).  A pending row is stored first, so a recording whose
finalising was interrupted (restart, database down) is picked up again by `sweep()`.

Nothing is lost silently: a recording that is missing, empty, a bare WAV header or
unreadable once Asterisk is done with it is stored as a fault on the call and the admins
are told (calls/alarms.py).  A file Asterisk has not closed yet is tried again by the
sweep, each try counted and pushed further back (a stuck row never holds back newer
ones); after `max_attempts` the row is given up, with a fault and a notification.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from pathlib import Path

from samad_ivr.audio.recording import (
    RecordingError,
    RecordingInfo,
    inspect_recording,
    wait_until_finished,
)
from samad_ivr.audio.stereo import WavHeaderError, relabel_interleaved_stereo
from samad_ivr.calls.intake import CallIntake
from samad_ivr.storage.call_faults import CallFaults, FaultKind
from samad_ivr.storage.calls import CallRepository
from samad_ivr.storage.db import StorageUnavailable

log = logging.getLogger(__name__)

DEFAULT_MAX_ATTEMPTS = 8  # sweep tries, 30 s doubling: given up after about two hours


@dataclass(frozen=True, slots=True)
class _Broken:
    """Asterisk is done with the file and it holds no usable audio: flag, stop trying."""

    kind: FaultKind
    reason: str


@dataclass(frozen=True, slots=True)
class _Retry:
    """Not finished yet (or the database is down): the sweep tries again later."""

    reason: str


class RecordingFinaliser:
    def __init__(
        self,
        *,
        intake: CallIntake,
        calls: CallRepository,
        recordings_dir: Path,
        wait_timeout: float = 60.0,
        faults: CallFaults | None = None,
        max_attempts: int = DEFAULT_MAX_ATTEMPTS,
    ) -> None:
        self._intake = intake
        self._calls = calls
        self._dir = recordings_dir
        self._wait_timeout = wait_timeout
        self._faults = faults
        self._max_attempts = max_attempts
        self._tasks: set[asyncio.Task[bool]] = set()

    async def submit(self, call_id: int, name: str) -> None:
        """Remember the recording now; hash and store it in the background."""
        await self._calls.add_pending_recording(
            call_id=call_id, kind="call", path=name, sweep_after=self._wait_timeout + 30
        )
        task = asyncio.create_task(self.finalise(call_id, name, self._wait_timeout))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def finalise(self, call_id: int, name: str, wait_timeout: float) -> bool:
        """True when the recording row is complete (a broken file is flagged and ends)."""
        result = await self._attempt(call_id, name, wait_timeout)
        if isinstance(result, _Broken):
            await self._give_up(call_id, result.kind, result.reason)
        return result is None

    async def _attempt(
        self, call_id: int, name: str, wait_timeout: float
    ) -> _Broken | _Retry | None:
        path = self._dir / name
        finished = await wait_until_finished(
            path, path.with_name(path.name + ".done"), timeout=wait_timeout
        )
        if not finished:
            if not await asyncio.to_thread(path.exists):
                return _Broken("recording_missing", f"{name}: no file after the call")
            log.warning("recording %s not closed by Asterisk after %ss", name, wait_timeout)
            return _Retry(f"{name}: not closed by Asterisk after {wait_timeout}s")
        try:
            info = await asyncio.to_thread(_relabel_and_inspect, path)
        except RecordingError as exc:
            kind: FaultKind = "recording_empty" if "empty" in str(exc) else "recording_unreadable"
            return _Broken(kind, f"{name}: {exc}")
        except WavHeaderError as exc:
            return _Broken("recording_unreadable", f"{name}: {exc}")
        try:
            await self._intake.store_call_recording(call_id, name, info)
        except StorageUnavailable as exc:
            log.warning("recording %s stays pending: %s", name, exc)
            return _Retry(f"database: {exc}")
        log.info("recording %s: %.1fs, sha256 %s", name, info.duration_seconds, info.sha256[:12])
        if info.duration_seconds <= 0:
            # Stored (its hash proves what is there), but the call has no audio: flag it.
            await self._report(call_id, "recording_empty", f"{name}: WAV header without audio")
        return None

    async def _give_up(self, call_id: int, kind: FaultKind, reason: str) -> None:
        if self._faults is None:
            log.error("recording of call %s given up: %s", call_id, reason)
            return
        try:
            await self._faults.give_up(call_id, kind, reason)
        except StorageUnavailable as exc:
            log.error("recording of call %s: %s (%s) not stored: %s", call_id, kind, reason, exc)

    async def _report(self, call_id: int, kind: FaultKind, reason: str) -> None:
        if self._faults is None:
            log.error("call %s: %s (%s)", call_id, kind, reason)
            return
        try:
            await self._faults.report(call_id, kind, reason)
        except StorageUnavailable as exc:
            log.error("call %s: %s (%s) not stored: %s", call_id, kind, reason, exc)

    async def sweep(self, limit: int = 100) -> int:
        """Finalise the recordings due for a try; returns how many were completed."""
        if self._faults is None:
            done = 0
            for pending in await self._calls.pending_recordings(limit):
                if await self.finalise(pending.call_id, pending.path, wait_timeout=1.0):
                    done += 1
            return done
        done = 0
        for due in await self._faults.claim_due(limit):
            result = await self._attempt(due.call_id, due.path, wait_timeout=1.0)
            if result is None:
                done += 1
            elif isinstance(result, _Broken):
                await self._give_up(due.call_id, result.kind, result.reason)
            elif due.attempts >= self._max_attempts:
                reason = f"{result.reason} (after {due.attempts} tries)"
                await self._give_up(due.call_id, "recording_gave_up", reason)
            else:
                await self._faults.note_failure(due.id, result.reason)
        return done

    async def drain(self, timeout: float = 10.0) -> None:
        """Let running finalisations end; the sweep picks up whatever is cut short."""
        if not self._tasks:
            return
        _, still_running = await asyncio.wait(set(self._tasks), timeout=timeout)
        for task in still_running:
            task.cancel()
        await asyncio.gather(*still_running, return_exceptions=True)


def _relabel_and_inspect(path: Path) -> RecordingInfo:
    relabel_interleaved_stereo(path)
    return inspect_recording(path)
