"""SessionCache on a hand-driven clock: lifetime, session expiry, invalidation, races."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from samad_ivr.storage.session_cache import SessionCache

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
LATER = NOW + timedelta(hours=8)


class Clock:
    def __init__(self) -> None:
        self.t = 100.0

    def __call__(self) -> float:
        return self.t


def make(ttl: float = 2.0) -> tuple[SessionCache[str], Clock]:
    clock = Clock()
    return SessionCache(ttl, clock=clock, now=lambda: NOW + timedelta(seconds=clock.t - 100)), clock


def test_an_entry_is_served_until_its_lifetime_ends() -> None:
    cache, clock = make()
    cache.put(b"t", 1, "alice", LATER, cache.generation)
    clock.t += 1.9
    assert cache.get(b"t") == "alice"
    clock.t += 0.2
    assert cache.get(b"t") is None


def test_an_entry_never_outlives_the_session_itself() -> None:
    cache, clock = make(ttl=60)
    cache.put(b"t", 1, "alice", NOW + timedelta(seconds=1), cache.generation)
    clock.t += 1.0
    assert cache.get(b"t") is None


def test_forgetting_a_user_drops_every_session_of_that_user_only() -> None:
    cache, _ = make()
    for token, user_id in ((b"a1", 1), (b"a2", 1), (b"b", 2)):
        cache.put(token, user_id, f"user{user_id}", LATER, cache.generation)
    cache.forget_user(1)
    assert (cache.get(b"a1"), cache.get(b"a2"), cache.get(b"b")) == (None, None, "user2")


def test_a_lookup_that_raced_with_an_invalidation_is_not_stored() -> None:
    cache, _ = make()
    started = cache.generation  # the lookup begins, reads the database...
    cache.forget_session(b"t")  # ...while this process logs the session out
    cache.put(b"t", 1, "alice", LATER, started)
    assert cache.get(b"t") is None


def test_a_zero_lifetime_caches_nothing() -> None:
    cache, _ = make(ttl=0)
    cache.put(b"t", 1, "alice", LATER, cache.generation)
    assert cache.get(b"t") is None
