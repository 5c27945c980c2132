"""The AMI client against a small fake AMI server: login, actions, and reconnecting."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from samad_ivr.ami.client import AmiClient, AmiError
from samad_ivr.settings import AmiSettings, Secret


class FakeAmi:
    """Speaks just enough AMI: the banner, Login, Originate; can drop every client."""

    def __init__(self) -> None:
        self.logins = 0
        self.actions: list[dict[str, str]] = []
        self.writers: list[asyncio.StreamWriter] = []
        self.server: asyncio.Server | None = None

    async def start(self) -> int:
        self.server = await asyncio.start_server(self._client, "127.0.0.1", 0)
        return int(self.server.sockets[0].getsockname()[1])

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.writers.append(writer)
        writer.write(b"Asterisk Call Manager/11.0.0\r\n")
        try:
            while True:
                action: dict[str, str] = {}
                while (line := (await reader.readline()).decode().strip()) != "":
                    key, _, value = line.partition(": ")
                    action[key] = value
                if not action:
                    return
                self.actions.append(action)
                if action.get("Action") == "Login":
                    ok = action.get("Secret") == "right"
                    self.logins += ok
                    status = "Success" if ok else "Error"
                    reply = f"Response: {status}\r\nActionID: {action['ActionID']}\r\n"
                    reply += "Message: Authentication accepted\r\n\r\n"
                elif action.get("Action") == "Originate":
                    reply = f"Response: Success\r\nActionID: {action['ActionID']}\r\n"
                    reply += "Message: Originate successfully queued\r\n\r\n"
                    # Asterisk reports the outcome later, as an event.
                    reply += f"Event: OriginateResponse\r\nActionID: {action['ActionID']}\r\n"
                    reply += "Response: Success\r\nChannel: Local/111@samad-inbound-1;1\r\n\r\n"
                else:
                    reply = f"Response: Error\r\nActionID: {action['ActionID']}\r\n\r\n"
                writer.write(reply.encode())
                await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            return
        finally:
            writer.close()

    def drop_clients(self) -> None:
        for writer in self.writers:
            writer.close()
        self.writers.clear()

    async def close(self) -> None:
        self.drop_clients()
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()


@pytest.fixture
async def fake_ami() -> AsyncIterator[tuple[FakeAmi, int]]:
    fake = FakeAmi()
    port = await fake.start()
    yield fake, port
    await fake.close()


def settings(port: int, secret: str = "right") -> AmiSettings:
    return AmiSettings(host="127.0.0.1", port=port, username="samad", secret=Secret(secret))


async def test_originate_sends_every_variable_as_its_own_header(
    fake_ami: tuple[FakeAmi, int],
) -> None:
    fake, port = fake_ami
    client = AmiClient(settings(port))
    await client.connect(timeout=5)
    response = await client.originate(
        channel="Local/111@samad-inbound",
        context="samad-demo-caller",
        exten="s",
        caller_id="<09181234567>",
        variables={"A": "1", "B": "2"},
    )
    client.close()
    assert response.success
    originate = next(a for a in fake.actions if a.get("Action") == "Originate")
    assert originate["Channel"] == "Local/111@samad-inbound"
    assert originate["CallerID"] == "<09181234567>"


async def test_a_wrong_secret_is_an_error_not_a_hang(fake_ami: tuple[FakeAmi, int]) -> None:
    _, port = fake_ami
    client = AmiClient(settings(port, secret="wrong"))
    with pytest.raises(AmiError, match="no AMI login"):
        await client.connect(timeout=1)
    assert not client.connected


async def test_actions_before_connecting_are_refused_clearly() -> None:
    client = AmiClient(settings(9))
    with pytest.raises(AmiError, match="not connected"):
        await client.action({"Action": "Ping"})


async def test_the_client_logs_in_again_after_asterisk_drops_the_connection(
    fake_ami: tuple[FakeAmi, int],
) -> None:
    fake, port = fake_ami
    client = AmiClient(settings(port))
    await client.connect(timeout=5)
    fake.drop_clients()
    for _ in range(100):
        if fake.logins >= 2 and client.connected:
            break
        await asyncio.sleep(0.1)
    client.close()
    assert fake.logins == 2
