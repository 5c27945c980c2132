"""A small fake AMI server for the client and the event stream.

`FakeAmi` speaks just enough AMI: the banner, Login (secret "right"), Originate (queued,
then an OriginateResponse event), CoreShowChannels and QueueStatus as event lists built
from `channels` and `queues`.  A test can refuse QueueStatus a number of times (as
Asterisk does while app_queue is still loading), leave Originate unanswered, push events
to every client (also from `before_reply`, called with each action before it is
answered), and drop every connection.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

import pytest

from samad_ivr.settings import AmiSettings, Secret

EOL = "\r\n"


def message(**headers: str) -> str:
    return "".join(f"{k}: {v}{EOL}" for k, v in headers.items()) + EOL


class FakeAmi:
    def __init__(self) -> None:
        self.logins = 0
        self.actions: list[dict[str, str]] = []
        self.writers: list[asyncio.StreamWriter] = []
        self.server: asyncio.Server | None = None
        self.channels: list[dict[str, str]] = []  # CoreShowChannel headers, without Event
        self.queues: list[str] = []
        self.refuse_queue_status = 0
        self.answer_originate = True
        self.fully_booted_after_login = False
        self.before_reply: Callable[[dict[str, str]], None] | None = None

    async def start(self) -> int:
        self.server = await asyncio.start_server(self._client, "127.0.0.1", 0)
        return int(self.server.sockets[0].getsockname()[1])

    def count(self, action: str) -> int:
        return sum(1 for a in self.actions if a.get("Action") == action)

    def _reply(self, action: dict[str, str]) -> str:
        name, action_id = action.get("Action"), action.get("ActionID", "")
        if name == "Login":
            ok = action.get("Secret") == "right"
            self.logins += ok
            reply = message(
                Response="Success" if ok else "Error",
                ActionID=action_id,
                Message="Authentication accepted" if ok else "Authentication failed",
            )
            if ok and self.fully_booted_after_login:
                reply += message(Event="FullyBooted", Privilege="system,all", Status="Booted")
            return reply
        if name == "Originate":
            if not self.answer_originate:
                return ""
            return message(
                Response="Success", ActionID=action_id, Message="Originate successfully queued"
            ) + message(  # Asterisk reports the outcome later, as an event
                Event="OriginateResponse",
                ActionID=action_id,
                Response="Success",
                Channel="Local/111@samad-inbound-1;1",
            )
        if name == "CoreShowChannels":
            items = [
                message(Event="CoreShowChannel", ActionID=action_id, **c) for c in self.channels
            ]
            return self._event_list(action_id, "Channels will follow", "CoreShowChannels", items)
        if name == "QueueStatus":
            if self.refuse_queue_status > 0:
                self.refuse_queue_status -= 1
                return message(
                    Response="Error",
                    ActionID=action_id,
                    Message="Invalid/unknown command: QueueStatus.",
                )
            items = [message(Event="QueueParams", ActionID=action_id, Queue=q) for q in self.queues]
            return self._event_list(action_id, "Queue status will follow", "QueueStatus", items)
        return message(Response="Error", ActionID=action_id, Message="Unknown in the fake")

    @staticmethod
    def _event_list(action_id: str, text: str, name: str, items: list[str]) -> str:
        start = message(Response="Success", ActionID=action_id, EventList="start", Message=text)
        end = message(
            Event=f"{name}Complete", ActionID=action_id, EventList="Complete",
            ListItems=str(len(items)),
        )  # fmt: skip
        return start + "".join(items) + end

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
                if self.before_reply is not None:
                    self.before_reply(action)
                writer.write(self._reply(action).encode())
                await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            return
        finally:
            writer.close()

    def push(self, **headers: str) -> None:
        """Send one event to every connected client."""
        for writer in self.writers:
            writer.write(message(**headers).encode())

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


def ami_settings(port: int, secret: str = "right") -> AmiSettings:
    return AmiSettings(host="127.0.0.1", port=port, username="samad", secret=Secret(secret))


async def eventually(predicate: Callable[[], object], timeout: float = 10.0) -> None:
    """Poll a plain predicate every 50 ms; fails the test after `timeout` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            pytest.fail(f"condition not met within {timeout}s")
        await asyncio.sleep(0.05)
