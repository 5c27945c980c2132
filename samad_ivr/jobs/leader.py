"""One leader among the instances of a province: only it runs the scheduled jobs.

Two `samad-ivr serve` processes can serve one Asterisk (FastAGI on both) against one
database.  Jobs that act on the database (deadlines, SMS rounds, callbacks, the
recording sweep, ...) must run once per schedule, so each instance tries to hold a
PostgreSQL session advisory lock named after its center code, on a connection of its own
(never a pooled one: the lock lives as long as that session).

- A follower tries for the lock every `check_every` seconds.
- The leader pings its session as often, each ping bounded by `timeout`; a ping that
  fails or hangs makes it step down at once (no job starts), before the server can give
  the lock to anyone else.
- The server releases a dead leader's lock when its session ends: at once when the
  process dies (the kernel closes the socket), within the TCP keepalive/user timeout set
  below (about 10 s) when the host or the network does.

So a leader that dies is replaced within `check_every` (process killed) or about
keepalive + `check_every` (host lost); with the defaults, at most about 15 s.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket

import asyncpg

log = logging.getLogger(__name__)

LOCK_CLASS = 0x5A4D  # the first key of our advisory locks ("SM")
TRY_LOCK_SQL = "SELECT pg_try_advisory_lock($1, hashtext($2))"
UNLOCK_SQL = "SELECT pg_advisory_unlock($1, hashtext($2))"

# The server notices a silent peer: keepalive after 5 s idle, 3 probes 2 s apart, and
# unacknowledged data for 10 s ends the session too.
_KEEPALIVE = {
    "tcp_keepalives_idle": "5",
    "tcp_keepalives_interval": "2",
    "tcp_keepalives_count": "3",
    "tcp_user_timeout": "10000",
}


def instance_name(agi_port: int) -> str:
    """Who this instance is, in job runs and pg_stat_activity: host, pid and FastAGI port."""
    return f"{socket.gethostname()}:{os.getpid()}:{agi_port}"


class Leader:
    def __init__(
        self,
        dsn: str,
        center_code: str,
        instance: str,
        *,
        check_every: float = 2.0,
        timeout: float = 3.0,
    ) -> None:
        self._dsn = dsn
        self._name = f"leader:{center_code}"
        self.instance = instance
        self._check_every = check_every
        self._timeout = timeout
        self._conn: asyncpg.Connection | None = None
        self._leading = False
        self._task: asyncio.Task[None] | None = None

    @property
    def is_leader(self) -> bool:
        return self._leading and self._conn is not None and not self._conn.is_closed()

    async def start(self) -> None:
        """One bounded try now (so start-up jobs know who leads), then keep trying."""
        await self._round()
        if not self._leading:
            log.info("instance %s follows: %s is held elsewhere", self.instance, self._name)
        self._task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self._check_every)
            await self._round()

    async def _round(self) -> None:
        try:
            async with asyncio.timeout(self._timeout):
                conn = self._conn
                if conn is None or conn.is_closed():
                    self._leading = False
                    conn = self._conn = await asyncpg.connect(
                        self._dsn,
                        timeout=self._timeout,
                        server_settings={
                            "application_name": f"samad-ivr {self.instance}"[:63],
                            **_KEEPALIVE,
                        },
                    )
                if self._leading:
                    await conn.fetchval("SELECT 1")
                    return
                if await conn.fetchval(TRY_LOCK_SQL, LOCK_CLASS, self._name):
                    self._leading = True
                    log.info("instance %s leads %s: scheduled jobs run here", self.instance,
                             self._name)  # fmt: skip
        # InternalClientError: asyncpg's protocol state went wrong on this session (seen by
        # the soak right after a restart); drop it and try again, never fail start-up.
        except (
            OSError,
            TimeoutError,
            asyncpg.PostgresError,
            asyncpg.InterfaceError,
            asyncpg.exceptions.InternalClientError,
        ) as exc:
            if self._leading:
                log.error("instance %s steps down as leader: %s", self.instance, exc)
            self._leading = False
            await self._drop()

    async def _drop(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            conn.terminate()  # never wait on a session that may hang

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        conn, self._conn = self._conn, None
        leading, self._leading = self._leading, False
        if conn is None:
            return
        try:
            async with asyncio.timeout(self._timeout):
                if leading:
                    await conn.fetchval(UNLOCK_SQL, LOCK_CLASS, self._name)
                await conn.close()
        except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError):
            conn.terminate()
