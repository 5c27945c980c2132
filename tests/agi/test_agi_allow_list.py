"""FastAGI has no credentials, so only configured peers get a session (issue 15, item 6)."""

from __future__ import annotations

import asyncio
import ipaddress
import logging

import pytest

from samad_ivr.agi.channel import AgiChannel
from samad_ivr.agi.server import FastAgiServer, peer_allowed
from samad_ivr.settings import Settings, SettingsError

from .fake_asterisk import FakeAsterisk, open_fd_count, settle

ASTERISK_HOST = (ipaddress.ip_network("10.20.0.0/16"),)


async def test_a_peer_outside_the_allow_list_gets_no_session_and_no_byte(
    caplog: pytest.LogCaptureFixture,
) -> None:
    ran: list[str] = []

    async def handler(channel: AgiChannel) -> None:
        ran.append(channel.env.uniqueid)
        await channel.set_variable("SAMAD_X", "1")

    server = FastAgiServer({"route": handler}, allow=ASTERISK_HOST, header_timeout=2.0)
    await server.start("127.0.0.1", 0)
    fds = open_fd_count()
    try:
        with caplog.at_level(logging.WARNING):
            fake = await FakeAsterisk.connect(server.port)
            try:
                async with asyncio.timeout(5):
                    rest = await fake.reader.read()
            except ConnectionResetError:  # aborted: a reset instead of a FIN is fine
                rest = b""
            await fake.close()
        assert rest == b""
        assert ran == []
        assert "refused (SAMAD_AGI_ALLOW)" in caplog.text
        await settle(lambda: server.active_sessions == 0 and open_fd_count() <= fds)
    finally:
        await server.close(timeout=1.0)


async def test_a_peer_inside_the_allow_list_is_served() -> None:
    async def handler(channel: AgiChannel) -> None:
        await channel.set_variable("SAMAD_X", "1")

    server = FastAgiServer({"route": handler}, allow=(ipaddress.ip_network("127.0.0.1/32"),))
    await server.start("127.0.0.1", 0)
    try:
        fake = await FakeAsterisk.connect(server.port)
        await fake.expect(b'SET VARIABLE "SAMAD_X" "1"', b"200 result=1")
        await fake.expect_closed()
        await fake.close()
    finally:
        await server.close(timeout=1.0)


@pytest.mark.parametrize(
    ("host", "allowed"),
    [
        ("127.0.0.1", True),
        ("::1", True),
        ("::ffff:127.0.0.1", True),  # dual-stack socket, IPv4 peer
        ("10.20.3.4", False),
        ("192.168.1.9", False),
        ("fe80::1%eth0", False),
        (None, False),
        ("not-an-address", False),
    ],
)
def test_only_loopback_is_allowed_by_default(host: str | None, allowed: bool) -> None:
    settings = Settings.from_env({})
    assert peer_allowed(host, settings.agi_allow) is allowed


def test_the_allow_list_is_read_from_samad_agi_allow() -> None:
    settings = Settings.from_env({"SAMAD_AGI_ALLOW": "10.20.0.5, 10.30.0.0/16"})
    assert peer_allowed("10.20.0.5", settings.agi_allow)
    assert peer_allowed("10.30.9.9", settings.agi_allow)
    assert not peer_allowed("127.0.0.1", settings.agi_allow)
    with pytest.raises(SettingsError, match="SAMAD_AGI_ALLOW"):
        Settings.from_env({"SAMAD_AGI_ALLOW": "10.0.0.0/33"})
