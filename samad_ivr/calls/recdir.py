"""Is the recordings directory usable?  Asked on every call, answered from a fresh probe.

The probe writes, syncs and removes a small file and reads the free space: a directory
that is missing, read-only, full (below `min_free_bytes`) or hanging (a stalled network
share, bounded by `timeout`) is reported, never waited on.  The call goes on either way;
intake stores the fault on the call and the admins are told (calls/alarms.py).

`last()` is the latest state without probing, for /healthz.
"""

from __future__ import annotations

import asyncio
import os
import time
from dataclasses import dataclass
from pathlib import Path

DEFAULT_MIN_FREE_BYTES = 200 * 1024 * 1024  # about 40 hours of 8 kHz stereo calls
_PROBE_BYTES = 4096


@dataclass(frozen=True, slots=True)
class RecordingsDirState:
    ok: bool
    detail: str  # '' when ok; otherwise what is wrong, for admins and /healthz
    free_bytes: int | None
    checked_at: float  # time.time() of the probe


class RecordingsDirProbe:
    def __init__(
        self,
        directory: Path,
        *,
        min_free_bytes: int = DEFAULT_MIN_FREE_BYTES,
        max_age: float = 10.0,
        timeout: float = 2.0,
    ) -> None:
        self.directory = directory
        self._min_free = min_free_bytes
        self._max_age = max_age
        self._timeout = timeout
        self._last: RecordingsDirState | None = None
        self._lock = asyncio.Lock()

    def last(self) -> RecordingsDirState | None:
        """The latest probe's result (None before the first), without probing."""
        return self._last

    async def state(self) -> RecordingsDirState:
        """A state at most `max_age` seconds old; probes (bounded) when it is older."""
        async with self._lock:
            last = self._last
            if last is not None and time.time() - last.checked_at < self._max_age:
                return last
            try:
                async with asyncio.timeout(self._timeout):
                    state = await asyncio.to_thread(self._probe)
            except TimeoutError:
                state = RecordingsDirState(
                    False, f"{self.directory}: no answer within {self._timeout}s", None, time.time()
                )
            self._last = state
            return state

    def _probe(self) -> RecordingsDirState:
        now = time.time()
        probe = self.directory / f".samad-probe-{os.getpid()}"
        try:
            with probe.open("wb") as handle:
                handle.write(b"\0" * _PROBE_BYTES)
                handle.flush()
                os.fsync(handle.fileno())
            probe.unlink()
            stat = os.statvfs(self.directory)
        except OSError as exc:
            return RecordingsDirState(False, f"{self.directory}: {exc.strerror or exc}", None, now)
        free = stat.f_bavail * stat.f_frsize
        if free < self._min_free:
            mib, want = free // 2**20, self._min_free // 2**20
            detail = f"{self.directory}: {mib} MiB free (< {want} MiB)"
            return RecordingsDirState(False, detail, free, now)
        return RecordingsDirState(True, "", free, now)
