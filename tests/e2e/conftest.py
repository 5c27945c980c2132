"""End-to-end fixtures: a real Asterisk 22 with our dialplan, our service, real PostgreSQL.

The test Asterisk runs as its own instance (AMI 5039, FastAGI 127.0.0.1:4574) so a
developer's `make run` instance on the default ports is left alone.  If Asterisk cannot
be provisioned or started the tests fail: they never skip.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import pytest

from samad_ivr.ami.client import AmiClient
from samad_ivr.ami.events import AmiEventStream
from samad_ivr.app import Service
from samad_ivr.live.hub import LiveHub
from samad_ivr.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
# Overridable so two checkouts can run their end-to-end tests side by side.
AGI_PORT = int(os.environ.get("SAMAD_TEST_AGI_PORT", "4574"))
AMI_PORT = int(os.environ.get("SAMAD_TEST_AMI_PORT", "5039"))
INSTANCE_ENV = {
    "SAMAD_ASTERISK_INSTANCE": os.environ.get("SAMAD_TEST_ASTERISK_INSTANCE", "test"),
    "SAMAD_AGI_BIND": f"127.0.0.1:{AGI_PORT}",
    "SAMAD_AMI_PORT": str(AMI_PORT),
    "SAMAD_ASTERISK_EXTRA_CONF": " ".join(
        [
            str(ROOT / "dialplan/demo/extensions_demo.conf"),
            str(Path(__file__).with_name("extensions_test.conf")),
        ]
    ),
    "SAMAD_ASTERISK_EXTRA_PJSIP": str(Path(__file__).with_name("pjsip_test.conf")),
}


@dataclass(frozen=True)
class AsteriskInstance:
    recordings_dir: Path
    spool_dir: Path
    sounds_dir: Path
    pjsip_desks_file: Path
    webrtc_ws_url: str

    def rx(self, command: str) -> str:
        return _script("rx", command)

    def stop(self) -> None:
        _script("stop")

    def start(self) -> None:
        """Start again (after `stop`): same instance, ports and directories."""
        _script("start")


def _script(*args: str) -> str:
    result = subprocess.run(
        [str(ROOT / "scripts/asterisk-dev.sh"), *args],
        env={**os.environ, **INSTANCE_ENV},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if result.returncode != 0:
        pytest.fail(f"asterisk-dev.sh {' '.join(args)} failed:\n{result.stderr}\n{result.stdout}")
    return result.stdout


@pytest.fixture(scope="session")
def asterisk() -> Iterator[AsteriskInstance]:
    out = _script("start")
    env = dict(line.split("=", 1) for line in out.splitlines() if "=" in line)
    instance = AsteriskInstance(
        recordings_dir=Path(env["SAMAD_RECORDINGS_DIR"]),
        spool_dir=Path(env["SAMAD_SPOOL_DIR"]),
        sounds_dir=Path(env["SAMAD_SOUNDS_DIR"]),
        pjsip_desks_file=Path(env["SAMAD_PJSIP_DESKS_FILE"]),
        webrtc_ws_url=env["SAMAD_WEBRTC_WS_URL"],
    )
    # Ten seconds of digital silence for the test caller (see extensions_test.conf).
    silence = instance.sounds_dir / "samad-test" / "silence.sln"
    silence.parent.mkdir(parents=True, exist_ok=True)
    silence.write_bytes(bytes(2 * 8000 * 10))
    yield instance
    _script("stop")


def e2e_settings(asterisk: AsteriskInstance, database_url: str, **overrides: str) -> Settings:
    return Settings.from_env(e2e_env(asterisk, database_url, **overrides))


def e2e_env(asterisk: AsteriskInstance, database_url: str, **overrides: str) -> dict[str, str]:
    """The service's environment in these tests (also for `samad-ivr serve` processes)."""
    return {
        "SAMAD_DATABASE_URL": database_url,
        "SAMAD_AGI_BIND": f"127.0.0.1:{AGI_PORT}",
        "SAMAD_AMI_PORT": str(AMI_PORT),
        "SAMAD_RECORDINGS_DIR": str(asterisk.recordings_dir),
        "SAMAD_SPOOL_DIR": str(asterisk.spool_dir),
        "SAMAD_SOUNDS_DIR": str(asterisk.sounds_dir),
        "SAMAD_WEB_BIND": "127.0.0.1:0",
        "SAMAD_CENTER": "hamedan",
        "SAMAD_DESK_RING_SECONDS": "4",
        "SAMAD_DEPUTY_RING_SECONDS": "4",
        "SAMAD_QUEUE_MAX_WAIT_SECONDS": "4",
        "SAMAD_MESSAGE_MAX_SECONDS": "60",
        # Browser desks (PJSIP/samad-web-*) register over Asterisk's WebSocket.
        "SAMAD_PJSIP_DESKS_FILE": str(asterisk.pjsip_desks_file),
        "SAMAD_WEBRTC_WS_URL": asterisk.webrtc_ws_url,
        "SAMAD_WEBRTC_SECRET": "e2e-softphone-secret-" + "s" * 16,
        **overrides,
    }


@pytest.fixture
async def ami(asterisk: AsteriskInstance) -> AsyncIterator[AmiClient]:
    client = AmiClient(e2e_settings(asterisk, "postgresql://unused").ami)
    await client.connect()
    yield client
    client.close()


@pytest.fixture
def live_hub() -> LiveHub:
    """The sink of `live`; a test module may override it with a recording hub."""
    return LiveHub()


@pytest.fixture
async def live(asterisk: AsteriskInstance, live_hub: LiveHub) -> AsyncIterator[LiveHub]:
    """The live state, fed by its own AMI event stream as in the service."""
    hub = live_hub
    stream = AmiEventStream(e2e_settings(asterisk, "postgresql://unused").ami, hub)
    assert await stream.start(timeout=10), "the AMI event stream took no snapshot"
    try:
        yield hub
    finally:
        stream.close()


@pytest.fixture
async def start_service(asterisk: AsteriskInstance, database_url: str) -> AsyncIterator[object]:
    """Call with settings overrides; the service stops at the end of the test."""
    started: list[Service] = []

    async def start(**overrides: str) -> Service:
        service = Service(e2e_settings(asterisk, database_url, **overrides))
        await service.start()
        started.append(service)
        return service

    yield start
    for service in started:
        await service.stop()


async def wait_for(predicate: object, timeout: float, what: str) -> object:
    """Poll an async predicate until it returns something truthy."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        value = await predicate()  # type: ignore[operator]
        if value:
            return value
        if loop.time() > deadline:
            pytest.fail(f"timed out after {timeout}s waiting for {what}")
        await asyncio.sleep(0.5)


async def call_row(db: asyncpg.Pool, caller: str) -> asyncpg.Record | None:
    return await db.fetchrow(
        "SELECT * FROM calls WHERE caller_raw = $1 AND ended_at IS NOT NULL", caller
    )
