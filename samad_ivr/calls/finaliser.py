"""Finish call recordings: wait for MixMonitor to close the file, then hash and store it.

MixMonitor writes the file until after the hangup handler has run and then touches
`<file>.done` (see the dialplan).  A pending row is stored first, so a recording whose
finalising was interrupted (restart, database down) is picked up again by `sweep()`.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from samad_ivr.audio.recording import (
    RecordingError,
    RecordingInfo,
    inspect_recording,
    wait_until_finished,
)
from samad_ivr.audio.stereo import WavHeaderError, relabel_interleaved_stereo
from samad_ivr.calls.intake import CallIntake
from samad_ivr.storage.calls import CallRepository
from samad_ivr.storage.db import StorageUnavailable

log = logging.getLogger(__name__)


class RecordingFinaliser:
    def __init__(
        self,
        *,
        intake: CallIntake,
        calls: CallRepository,
        recordings_dir: Path,
        wait_timeout: float = 60.0,
    ) -> None:
        self._intake = intake
        self._calls = calls
        self._dir = recordings_dir
        self._wait_timeout = wait_timeout
        self._tasks: set[asyncio.Task[bool]] = set()

    async def submit(self, call_id: int, name: str) -> None:
        """Remember the recording now; hash and store it in the background."""
        await self._calls.add_pending_recording(call_id=call_id, kind="call", path=name)
        task = asyncio.create_task(self.finalise(call_id, name, self._wait_timeout))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def finalise(self, call_id: int, name: str, wait_timeout: float) -> bool:
        """True when the recording row is complete."""
        path = self._dir / name
        finished = await wait_until_finished(
            path, path.with_name(path.name + ".done"), timeout=wait_timeout
        )
        if not finished:
            log.warning("recording %s not closed by Asterisk after %ss", name, wait_timeout)
            return False
        try:
            info = await asyncio.to_thread(_relabel_and_inspect, path)
        except (RecordingError, WavHeaderError) as exc:
            log.error("recording %s cannot be finalised: %s", name, exc)
            return False
        try:
            await self._intake.store_call_recording(call_id, name, info)
        except StorageUnavailable as exc:
            log.warning("recording %s stays pending: %s", name, exc)
            return False
        log.info("recording %s: %.1fs, sha256 %s", name, info.duration_seconds, info.sha256[:12])
        return True

    async def sweep(self, limit: int = 100) -> int:
        """Finalise recordings left pending; returns how many were completed."""
        done = 0
        for pending in await self._calls.pending_recordings(limit):
            if await self.finalise(pending.call_id, pending.path, wait_timeout=1.0):
                done += 1
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
