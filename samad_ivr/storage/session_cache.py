"""A short-lived in-process copy of "session token hash -> user" for the web consoles.

Every console and API request needs its user, and asking PostgreSQL for it cost the
search API a third of its speed at a million calls (issue #5, W1).  The copy is trusted
only while it cannot mislead:

- an entry lives at most `ttl` seconds, and never past the session's own expiry;
- `AccountRepository` drops entries itself, before it returns, whenever this process
  deletes a session (logout, login over an old session) or changes a user (password,
  activation), so such a change takes effect on the very next request;
- a lookup that raced with such a change is not stored (the generation check below);
- a change made elsewhere (plain SQL, another process) is seen within `ttl` seconds.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Generic, TypeVar

__all__ = ["SESSION_CACHE_SECONDS", "SessionCache"]

SESSION_CACHE_SECONDS = 2.0
_MAX_ENTRIES = 10_000

T = TypeVar("T")


class SessionCache(Generic[T]):
    """token hash -> (user id, the user as the repository returns it), for a few seconds."""

    def __init__(
        self,
        ttl: float = SESSION_CACHE_SECONDS,
        *,
        max_entries: int = _MAX_ENTRIES,
        clock: Callable[[], float] = time.monotonic,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._ttl = ttl
        self._max_entries = max_entries
        self._clock = clock
        self._now = now
        self._entries: dict[bytes, tuple[int, T, float]] = {}
        # Bumped by every invalidation: a lookup started before one must not be stored.
        self.generation = 0

    def get(self, token_hash: bytes) -> T | None:
        entry = self._entries.get(token_hash)
        if entry is None:
            return None
        _user_id, user, deadline = entry
        if self._clock() >= deadline:
            del self._entries[token_hash]
            return None
        return user

    def put(
        self, token_hash: bytes, user_id: int, user: T, expires_at: datetime, generation: int
    ) -> None:
        """Keep `user` for `token_hash`, unless anything was invalidated since the lookup
        that found it began (`generation` is what `self.generation` was then)."""
        if generation != self.generation or self._ttl <= 0:
            return
        left = (expires_at - self._now()).total_seconds()
        if left <= 0:
            return
        if len(self._entries) >= self._max_entries:
            self._entries.clear()  # rare (10,000 live sessions in a few seconds); no LRU needed
        self._entries[token_hash] = (user_id, user, self._clock() + min(self._ttl, left))

    def forget_session(self, token_hash: bytes) -> None:
        self.generation += 1
        self._entries.pop(token_hash, None)

    def forget_user(self, user_id: int) -> None:
        self.generation += 1
        for token_hash in [k for k, entry in self._entries.items() if entry[0] == user_id]:
            del self._entries[token_hash]

    def clear(self) -> None:
        self.generation += 1
        self._entries.clear()
