"""The leader lock: one holder at a time, and a holder whose session is lost steps down."""

from __future__ import annotations

import asyncio

import asyncpg

from samad_ivr.jobs.leader import Leader


async def test_one_leader_and_a_lost_session_hands_over_without_two_leaders(
    database_url: str,
) -> None:
    a = Leader(database_url, "hamedan", "host:1:4573", check_every=0.2, timeout=1)
    b = Leader(database_url, "hamedan", "host:2:4574", check_every=0.2, timeout=1)
    other = Leader(database_url, "tabriz", "host:3:4575", check_every=0.2, timeout=1)
    await a.start()
    await b.start()
    await other.start()
    try:
        assert a.is_leader
        assert not b.is_leader
        assert other.is_leader  # another province has a leader of its own
        conn = await asyncpg.connect(database_url)
        try:
            await conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE application_name = 'samad-ivr host:1:4573'"
            )
        finally:
            await conn.close()
        saw_none = False
        for _ in range(50):
            await asyncio.sleep(0.1)
            assert not (a.is_leader and b.is_leader)
            saw_none = saw_none or not (a.is_leader or b.is_leader)
            if saw_none and (a.is_leader or b.is_leader):
                break
        assert saw_none  # the old session's leader stepped down first
        assert a.is_leader != b.is_leader  # then one of the two leads again (either may win)
        await asyncio.sleep(0.5)
        assert a.is_leader != b.is_leader
    finally:
        for leader in (a, b, other):
            await leader.close()
