"""What intake and the finaliser do with a fault: store it on the call, tell the admins.

Never raises into the call path: a fault that cannot be stored (the database is down
too) is logged at ERROR, and the sweep or the next call stores it again.
"""

from __future__ import annotations

import logging
from pathlib import Path

from samad_ivr.audio.recording import RecordingError, RecordingInfo, inspect_recording
from samad_ivr.calls.recdir import RecordingsDirProbe
from samad_ivr.storage.call_faults import CallFaults, FaultKind
from samad_ivr.storage.db import StorageUnavailable

log = logging.getLogger(__name__)


class CallAlarms:
    def __init__(self, faults: CallFaults, recdir: RecordingsDirProbe) -> None:
        self.faults = faults
        self.recdir = recdir

    async def check_recordings_dir(self, call_id: int) -> None:
        state = await self.recdir.state()
        if not state.ok:
            await self.fault(call_id, "recording_dir", state.detail)

    async def fault(self, call_id: int, kind: FaultKind, detail: str) -> None:
        try:
            await self.faults.report(call_id, kind, detail)
        except StorageUnavailable as exc:
            log.error("call %s: %s (%s) not stored: %s", call_id, kind, detail, exc)


def read_message(path: Path) -> tuple[RecordingInfo | None, str | None]:
    """The message's audio facts, or why it cannot be read (blocking; run in a thread).

    No file at all is no message (the caller hung up before the beep; a recordings
    directory that cannot be written is reported on the call by itself).  A file that
    exists but is empty or unreadable is a message we lost: its reason is returned.
    """
    try:
        if not path.exists():
            return None, None
    except OSError as exc:
        return None, f"{path.name}: {exc}"
    try:
        return inspect_recording(path), None
    except RecordingError as exc:
        return None, f"{path.name}: {exc}"
