"""systemd's notify protocol (sd_notify(3)), spoken directly: one datagram per message.

`Type=notify` units learn READY=1 once the service listens, and with `WatchdogSec=` they
expect WATCHDOG=1 at least every WATCHDOG_USEC microseconds.  The pings come from a task
on the service's own event loop, so a loop that stalls (a blocking call, a busy loop)
stops them and systemd restarts the service.  Outside systemd (no NOTIFY_SOCKET) every
call is a no-op.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from collections.abc import Mapping

log = logging.getLogger(__name__)


class SystemdNotifier:
    def __init__(self, address: str | None, watchdog_usec: int | None) -> None:
        self._address = address
        self.watchdog_usec = watchdog_usec
        self._socket: socket.socket | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> SystemdNotifier:
        env = os.environ if env is None else env
        address = env.get("NOTIFY_SOCKET") or None
        if address is not None and address.startswith("@"):
            address = "\0" + address[1:]  # the abstract namespace
        watchdog: int | None = None
        usec = env.get("WATCHDOG_USEC", "")
        pid = env.get("WATCHDOG_PID", "")
        if usec.isdigit() and int(usec) > 0 and (not pid or pid == str(os.getpid())):
            watchdog = int(usec)
        return cls(address, watchdog)

    @property
    def enabled(self) -> bool:
        return self._address is not None

    def notify(self, *lines: str) -> bool:
        """Send one message (``READY=1``, ``STATUS=...``); False if it could not go."""
        if self._address is None:
            return False
        try:
            if self._socket is None:
                self._socket = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
                self._socket.setblocking(False)
            self._socket.sendto("\n".join(lines).encode(), self._address)
        except OSError as exc:
            log.warning("sd_notify to %r failed: %s", self._address, exc)
            return False
        return True

    async def watchdog(self) -> None:
        """Ping at half the watchdog interval, from this event loop, until cancelled."""
        if self.watchdog_usec is None or not self.enabled:
            return
        interval = self.watchdog_usec / 2_000_000
        while True:
            self.notify("WATCHDOG=1")
            await asyncio.sleep(interval)

    def close(self) -> None:
        if self._socket is not None:
            self._socket.close()
            self._socket = None
