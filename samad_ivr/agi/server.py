"""FastAGI server: one task per AGI() call, one error boundary per call.

Whatever a handler does, the call leaves this module in a defined state: either the
handler finished, or ``SAMAD_AGI_ERROR`` was set (best effort) for the dialplan's failure
path, and the socket is closed.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping

from samad_ivr.agi.channel import AgiChannel, read_environment
from samad_ivr.agi.connection import AgiConnection
from samad_ivr.agi.logcontext import NO_CALL, call_id
from samad_ivr.agi.protocol import AgiHangup, AgiProtocolError

__all__ = ["LOOPBACK", "SAMAD_AGI_ERROR", "FastAgiServer", "Handler", "Network", "peer_allowed"]

logger = logging.getLogger(__name__)

Handler = Callable[[AgiChannel], Awaitable[None]]
Network = ipaddress.IPv4Network | ipaddress.IPv6Network

# FastAGI carries no credentials: whoever connects can create calls, requests and SMS.
# Only Asterisk's own addresses may (SAMAD_AGI_ALLOW); by default Asterisk is local.
LOOPBACK: tuple[Network, ...] = (
    ipaddress.ip_network("127.0.0.0/8"),
    ipaddress.ip_network("::1/128"),
)

SAMAD_AGI_ERROR = "SAMAD_AGI_ERROR"

# Asterisk opens a connection per AGI() call, so a burst of calls is a burst of connects.
_LISTEN_BACKLOG = 512
# Above the 8 KiB header-line cap, so an overlong line is reported as such, not as EOF.
_BUFFER_LIMIT = 64 * 1024
# Bytes taken from the socket per read; an AGI reply is a few dozen.
_READ_SIZE = 64 * 1024
# The error report must not hold the channel long: the caller is waiting in silence.
_MAX_REPORT_TIMEOUT = 2.0
# Unsent bytes get this long to leave at the end of a session, then the socket is aborted.
_CLOSE_GRACE = 1.0


class FastAgiServer:
    """Serves ``agi://host:port/<route>`` requests with the handler registered for ``route``."""

    def __init__(
        self,
        routes: Mapping[str, Handler],
        *,
        command_timeout: float = 30.0,
        header_timeout: float = 5.0,
        max_connections: int = 5000,
        allow: Iterable[Network] = LOOPBACK,
    ) -> None:
        self._routes = dict(routes)
        self._allow = tuple(allow)
        self._command_timeout = command_timeout
        self._header_timeout = header_timeout
        self._max_connections = max_connections
        self._report_timeout = min(command_timeout, _MAX_REPORT_TIMEOUT)
        self._server: asyncio.Server | None = None
        self._port: int | None = None
        self._sessions: set[asyncio.Task[object]] = set()
        self._active = 0
        self._closing = False

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("FastAgiServer is not started")
        return self._port

    @property
    def active_sessions(self) -> int:
        return self._active

    async def start(self, host: str, port: int) -> None:
        if self._server is not None:
            raise RuntimeError("FastAgiServer already started")
        self._closing = False
        loop = asyncio.get_running_loop()
        scratch = memoryview(bytearray(_READ_SIZE))  # shared: see AgiConnection
        self._server = await loop.create_server(
            lambda: AgiConnection(loop, self._open, limit=_BUFFER_LIMIT, scratch=scratch),
            host,
            port,
            backlog=_LISTEN_BACKLOG,
        )
        self._port = int(self._server.sockets[0].getsockname()[1])
        logger.info("FastAGI listening on %s:%d", host, self._port)

    # The public name `timeout` is part of the agreed API; it bounds a grace period only.
    async def close(self, timeout: float = 5.0) -> None:
        """Stop accepting, give sessions ``timeout`` seconds, then cancel and await them."""
        server = self._server
        if server is None:
            return
        self._closing = True
        server.close()
        # A connection accepted just before close() starts its task a few loop steps
        # later; let it register so it is awaited here instead of leaking.
        for _ in range(3):
            await asyncio.sleep(0)
        if self._sessions:
            await asyncio.wait(set(self._sessions), timeout=timeout)
        while self._sessions:
            pending = set(self._sessions)
            logger.warning("cancelling %d AGI sessions still running at shutdown", len(pending))
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
        await server.wait_closed()
        self._server = None
        self._port = None
        logger.info("FastAGI server closed")

    def _open(self, connection: AgiConnection) -> None:
        """A connection is up: start its session (connection_made calls this)."""
        task: asyncio.Task[object] = asyncio.get_running_loop().create_task(
            self._session(connection)
        )
        self._sessions.add(task)
        task.add_done_callback(self._sessions.discard)

    async def _session(self, connection: AgiConnection) -> None:
        if not peer_allowed(connection.peer_host, self._allow):
            # Not a word to it, not a byte read: the header is untrusted input too.
            logger.warning("FastAGI connection from %s refused (SAMAD_AGI_ALLOW)",
                           connection.peer_host)  # fmt: skip
            connection.abort()
            return
        admitted = self._active < self._max_connections
        if admitted:
            self._active += 1
        try:
            if not self._closing:
                await self._serve(connection, admitted=admitted)
        finally:
            if admitted:
                self._active -= 1
            await connection.close(_CLOSE_GRACE)

    async def _serve(self, connection: AgiConnection, *, admitted: bool) -> None:
        connection.set_deadline(self._header_timeout)
        try:
            env = await read_environment(connection)
        except TimeoutError:
            logger.warning("no complete AGI header within %gs; closing", self._header_timeout)
            return
        except AgiHangup:
            logger.info("peer closed the connection inside the AGI header")
            return
        except AgiProtocolError as exc:
            logger.warning("malformed AGI header (%s); closing", exc)
            return
        # The session task has its own context copy, so this never needs resetting.
        call_id.set(env.uniqueid or NO_CALL)
        channel = AgiChannel(connection, env, command_timeout=self._command_timeout)
        await self._dispatch(channel, admitted=admitted)

    async def _dispatch(self, channel: AgiChannel, *, admitted: bool) -> None:
        route = channel.env.network_script
        if not admitted:
            logger.warning("over %d AGI sessions; refusing route %r", self._max_connections, route)
            await channel.try_set_variable(SAMAD_AGI_ERROR, "busy", self._report_timeout)
            return
        handler = self._routes.get(route)
        if handler is None:
            logger.warning("unknown AGI route %r", route)
            await channel.try_set_variable(SAMAD_AGI_ERROR, "unknown-route", self._report_timeout)
            return
        await self._run_handler(route, handler, channel)

    async def _run_handler(self, route: str, handler: Handler, channel: AgiChannel) -> None:
        logger.info("AGI route %s started", route)
        try:
            await handler(channel)
        except AgiHangup:
            logger.info("AGI route %s ended by hangup", route)
        except asyncio.CancelledError:
            logger.info("AGI route %s cancelled", route)
            raise
        except Exception as exc:
            logger.exception("AGI route %s failed", route)
            reported = await channel.try_set_variable(
                SAMAD_AGI_ERROR, type(exc).__name__, self._report_timeout
            )
            if not reported:
                logger.warning("could not report the failure of route %s to Asterisk", route)
        else:
            logger.info("AGI route %s finished", route)


def peer_allowed(host: str | None, allow: Iterable[Network]) -> bool:
    """Whether a peer address (as the socket reports it) is inside one of ``allow``."""
    if host is None:
        return False
    try:
        address = ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped  # a dual-stack socket reports IPv4 peers this way
    return any(address in network for network in allow)
