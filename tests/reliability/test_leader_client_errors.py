"""A leader session whose asyncpg protocol state goes wrong is dropped and tried again:
the soak saw ``InternalClientError: cannot switch to state 11; another operation (2) is
in progress`` on the start-up round right after a restart, and ``serve`` exited."""

from __future__ import annotations

from typing import Any

import asyncpg
import pytest

from samad_ivr.jobs import leader as leader_module
from samad_ivr.jobs.leader import Leader


class BrokenSession:
    def __init__(self) -> None:
        self.terminated = False

    def is_closed(self) -> bool:
        return self.terminated

    async def fetchval(self, *_args: Any) -> Any:
        raise asyncpg.exceptions.InternalClientError(
            "cannot switch to state 11; another operation (2) is in progress"
        )

    def terminate(self) -> None:
        self.terminated = True


async def test_a_protocol_error_on_the_first_round_leaves_the_instance_a_follower(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sessions: list[BrokenSession] = []

    async def connect(*_args: Any, **_kwargs: Any) -> BrokenSession:
        sessions.append(BrokenSession())
        return sessions[-1]

    monkeypatch.setattr(leader_module.asyncpg, "connect", connect)
    leader = Leader("postgresql://unused", "soak", "vm:1:4573", check_every=3600)
    await leader.start()  # did not raise: start-up goes on
    try:
        assert not leader.is_leader
        assert sessions[0].terminated  # the broken session is not kept
    finally:
        await leader.close()
