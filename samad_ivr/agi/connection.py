"""One FastAGI socket as an asyncio protocol: a read buffer, one waiter, one deadline.

Why not StreamReader/StreamWriter: a FastAGI session is a short strict dialog (header,
then command / reply turns), and the general streams cost about a seventh of a session's
CPU in layers this dialog never uses (docs/performance.md, F1).  This class does only what
the dialog needs:

* ``read_until(separator)``: bytes up to and including the separator, at most ``limit``
  bytes buffered; end of stream raises :class:`ConnectionClosed`.
* ``write`` and ``drain`` (which waits only while the transport holds more than its
  high-water mark, i.e. the peer has stopped reading).
* One deadline for whatever is being waited for (the header, a command's reply, a
  drain, the close).  When it passes, the wait fails with :class:`TimeoutError`; nothing
  is cancelled, so a cancellation from outside always stays a cancellation.  One timer
  serves the whole connection: moving the deadline later costs nothing, the timer
  re-arms itself when it fires early.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

__all__ = ["AgiConnection", "BufferOverrun", "ConnectionClosed"]


class ConnectionClosed(Exception):
    """The peer closed (or reset) the connection before the awaited bytes arrived."""


class BufferOverrun(Exception):
    """More than ``limit`` bytes arrived without the awaited separator."""


class AgiConnection(asyncio.BufferedProtocol):
    """The transport side of one session; ``on_open`` starts the session for it.

    A BufferedProtocol: the transport reads into ``scratch`` and we copy the few bytes
    that came.  A plain Protocol gets a fresh bytes object from ``recv(256 KiB)`` per
    read, which glibc serves with mmap, mremap and munmap: three system calls per reply.
    One scratch buffer can serve every connection of a loop, because selector transports
    (and uvloop's) fill it and report it in one synchronous step, never interleaved.
    """

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        on_open: Callable[[AgiConnection], None],
        *,
        limit: int,
        scratch: memoryview | None = None,
    ) -> None:
        self._loop = loop
        self._on_open = on_open
        self._limit = limit
        self._scratch = memoryview(bytearray(4096)) if scratch is None else scratch
        self._transport: asyncio.Transport | None = None
        self._buffer = bytearray()
        self._eof = False
        self._lost = False
        self._reading_paused = False
        self._writing_paused = False
        # At most one wait at a time: a read, a drain or the close.
        self._waiter: asyncio.Future[None] | None = None
        self._deadline: float | None = None
        self._timer: asyncio.TimerHandle | None = None

    # -- asyncio.BufferedProtocol -----------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport
        self._on_open(self)

    def get_buffer(self, sizehint: int) -> memoryview:
        return self._scratch

    def buffer_updated(self, nbytes: int) -> None:
        self._buffer += self._scratch[:nbytes]
        if len(self._buffer) > self._limit and not self._reading_paused:
            # A peer that floods us while nobody reads is held by TCP, not by our memory.
            assert self._transport is not None
            self._transport.pause_reading()
            self._reading_paused = True
        self._wake()

    def eof_received(self) -> bool:
        self._eof = True
        self._wake()
        return True  # half-open: the session decides when to close

    def connection_lost(self, exc: Exception | None) -> None:
        self._eof = self._lost = True
        self._cancel_timer()
        self._wake()

    def pause_writing(self) -> None:
        self._writing_paused = True

    def resume_writing(self) -> None:
        self._writing_paused = False
        self._wake()

    # -- the session's side -----------------------------------------------------------

    @property
    def peer_host(self) -> str | None:
        """The peer's address as the socket reports it (None if unknown or not IP)."""
        if self._transport is None:
            return None
        peer = self._transport.get_extra_info("peername")
        if isinstance(peer, tuple) and peer and isinstance(peer[0], str):
            return peer[0]
        return None

    def abort(self) -> None:
        """Drop the connection at once, unsent bytes included."""
        if self._transport is not None and not self._lost:
            self._transport.abort()

    def set_deadline(self, seconds: float | None) -> None:
        """Bound every following wait to ``seconds`` from now (None: no bound)."""
        self._deadline = None if seconds is None else self._loop.time() + seconds

    async def read_until(self, separator: bytes) -> bytes:
        buffer = self._buffer
        start = 0
        while True:
            end = buffer.find(separator, start)
            if end >= 0:
                end += len(separator)
                chunk = bytes(buffer[:end])
                del buffer[:end]
                if self._reading_paused and len(buffer) <= self._limit:
                    assert self._transport is not None
                    self._reading_paused = False
                    self._transport.resume_reading()
                return chunk
            if len(buffer) > self._limit:
                raise BufferOverrun(f"no {separator!r} within {self._limit} bytes")
            if self._eof:
                raise ConnectionClosed("connection closed by peer")
            # Only the new bytes can complete the separator.
            start = max(0, len(buffer) - len(separator) + 1)
            await self._wait()

    def write(self, data: bytes) -> None:
        if self._lost:
            raise ConnectionClosed("connection lost")
        assert self._transport is not None
        self._transport.write(data)

    async def drain(self) -> None:
        """Wait while the transport holds more than its high-water mark."""
        while self._writing_paused:
            if self._lost:
                raise ConnectionClosed("connection lost")
            await self._wait()
        if self._lost:
            raise ConnectionClosed("connection lost")

    async def close(self, grace: float) -> None:
        """Close; give unsent bytes ``grace`` seconds to leave, then drop them (abort)."""
        transport = self._transport
        if transport is None or self._lost:
            self._cancel_timer()
            return
        transport.close()
        if transport.get_write_buffer_size() == 0:
            # Nothing left to send: the socket closes on the next loop iteration.
            self._cancel_timer()
            return
        # A peer that stopped reading would keep the bytes (and the socket) alive.
        self.set_deadline(grace)
        try:
            while not self._lost:
                await self._wait()
        except TimeoutError:
            transport.abort()
        finally:
            self._cancel_timer()

    # -- waiting --------------------------------------------------------------------

    async def _wait(self) -> None:
        deadline = self._deadline
        if deadline is not None:
            if self._loop.time() >= deadline:
                raise TimeoutError
            if self._timer is None or self._timer.when() > deadline:
                self._cancel_timer()
                self._timer = self._loop.call_at(deadline, self._on_timer)
        self._waiter = waiter = self._loop.create_future()
        try:
            await waiter
        finally:
            self._waiter = None

    def _wake(self) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def _on_timer(self) -> None:
        self._timer = None
        deadline, waiter = self._deadline, self._waiter
        if deadline is None or waiter is None or waiter.done():
            return  # nothing waits: the next wait arms a new timer if it needs one
        if self._loop.time() < deadline:
            self._timer = self._loop.call_at(deadline, self._on_timer)
            return
        waiter.set_exception(TimeoutError())

    def _cancel_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
