"""Two FastAGI instances in the shipped dialplan: when SAMAD_AGI cannot be reached,
Asterisk goes on with SAMAD_AGI_2 for the routing and the hangup handler's post_call."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import pytest

from samad_ivr.ami.client import AmiClient

from .conftest import AGI_PORT, INSTANCE_ENV, AsteriskInstance
from .test_call_flows import finished_call, place, seed_roster


def dead_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def asterisk_log() -> str:
    """Asterisk's messages log (the provisioned root, or a system Asterisk's own)."""
    instance = INSTANCE_ENV["SAMAD_ASTERISK_INSTANCE"]
    roots = [os.environ.get("SAMAD_ASTERISK_ROOT", "/var/cache/samad-ivr/asterisk-root"), "/"]
    for root in roots:
        log = Path(root) / "var/log/samad-asterisk" / instance / "messages.log"
        if log.exists():
            return log.read_text(errors="replace")
    return ""


@pytest.fixture
def first_instance_down(asterisk: AsteriskInstance) -> Iterator[None]:
    asterisk.rx(f"dialplan set global SAMAD_AGI 127.0.0.1:{dead_port()}")
    asterisk.rx(f"dialplan set global SAMAD_AGI_2 127.0.0.1:{AGI_PORT}")
    try:
        yield
    finally:
        asterisk.rx(f"dialplan set global SAMAD_AGI 127.0.0.1:{AGI_PORT}")
        asterisk.rx("dialplan set global SAMAD_AGI_2 ''")


async def test_a_call_goes_on_with_the_second_instance_when_the_first_is_down(
    asterisk: AsteriskInstance,
    ami: AmiClient,
    db_pool: asyncpg.Pool,
    start_service: object,
    first_instance_down: None,
) -> None:
    official, _ = await seed_roster(db_pool, desk="Local/answer@samad-test-desk")
    await start_service()  # type: ignore[operator]
    await place(ami, "09181234561", "speak", SAMAD_TEST_REPEATS="1")

    call = await finished_call(db_pool, "09181234561")
    # Routed by the service (not the fallback script's message) and stored by post_call.
    assert call["route"] in ("desk", "queue")  # routed by the service, not the fallback
    assert call["disposition"] == "answered"
    assert call["official_id"] == official
    assert await db_pool.fetchval("SELECT count(*) FROM requests WHERE call_id = $1", call["id"])
    assert not list(asterisk.spool_dir.glob("*.post_call.json"))
    # The first instance really was tried, and the call moved on (for routing and post_call).
    moved = f"unreachable for {call['uniqueid']} - using 127.0.0.1:{AGI_PORT}"
    assert moved in asterisk_log()
