"""The AMI client against a small fake AMI server: login, actions, and reconnecting."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from samad_ivr.ami.client import AmiClient, AmiError

from .conftest import FakeAmi, ami_settings, eventually


@pytest.fixture
async def client(fake_ami: tuple[FakeAmi, int]) -> AsyncIterator[AmiClient]:
    """A client logged in to the fake; closed after the test."""
    client = AmiClient(ami_settings(fake_ami[1]))
    await client.connect(timeout=5)
    try:
        yield client
    finally:
        client.close()


async def test_originate_sends_every_variable_as_its_own_header(
    fake_ami: tuple[FakeAmi, int], client: AmiClient
) -> None:
    fake, _ = fake_ami
    response = await client.originate(
        channel="Local/111@samad-inbound",
        context="samad-demo-caller",
        exten="s",
        caller_id="<09181234567>",
        variables={"A": "1", "B": "2"},
    )
    assert response.success
    originate = next(a for a in fake.actions if a.get("Action") == "Originate")
    assert originate["Channel"] == "Local/111@samad-inbound"
    assert originate["CallerID"] == "<09181234567>"


async def test_a_wrong_secret_is_an_error_not_a_hang(fake_ami: tuple[FakeAmi, int]) -> None:
    _, port = fake_ami
    client = AmiClient(ami_settings(port, secret="wrong"))
    with pytest.raises(AmiError, match="no AMI login"):
        await client.connect(timeout=1)
    assert not client.connected


async def test_actions_before_connecting_are_refused_clearly() -> None:
    client = AmiClient(ami_settings(9))
    with pytest.raises(AmiError, match="not connected"):
        await client.action({"Action": "Ping"})


async def test_the_client_logs_in_again_after_asterisk_drops_the_connection(
    fake_ami: tuple[FakeAmi, int], client: AmiClient
) -> None:
    fake, _ = fake_ami
    fake.drop_clients()
    await eventually(lambda: fake.logins >= 2 and client.connected)
    assert fake.logins == 2


async def test_an_event_list_action_asterisk_refuses_is_an_error_not_a_hang(
    fake_ami: tuple[FakeAmi, int], client: AmiClient
) -> None:
    fake, _ = fake_ami
    fake.refuse_queue_status = 1
    with pytest.raises(AmiError, match="refused: Invalid/unknown command"):
        await client.action_list({"Action": "QueueStatus"}, timeout=5)
    fake.channels = [{"Channel": "PJSIP/desk-1-00000001", "Uniqueid": "1700000000.1"}]
    messages = await client.action_list({"Action": "CoreShowChannels"}, timeout=5)
    events = [m.get("Event") for m in messages]
    assert events == [None, "CoreShowChannel", "CoreShowChannelsComplete"]
    assert messages[1]["Uniqueid"] == "1700000000.1"


async def test_an_originate_lost_with_the_connection_is_never_sent_again(
    fake_ami: tuple[FakeAmi, int], client: AmiClient
) -> None:
    fake, _ = fake_ami
    fake.answer_originate = False
    fake.fully_booted_after_login = True  # panoramisk re-sends pending actions on it
    pending = asyncio.create_task(
        client.action({"Action": "Originate", "Channel": "PJSIP/listener"}, timeout=3)
    )
    await eventually(lambda: fake.count("Originate") == 1)
    fake.drop_clients()
    await eventually(lambda: fake.logins == 2)
    with pytest.raises(AmiError, match="timed out"):
        await pending
    assert fake.count("Originate") == 1


async def test_a_closed_client_stays_closed_even_with_a_reconnect_pending(
    fake_ami: tuple[FakeAmi, int], client: AmiClient
) -> None:
    fake, _ = fake_ami
    fake.drop_clients()
    await eventually(lambda: not client.connected)
    client.close()  # panoramisk has already scheduled its reconnect (2 s)
    await asyncio.sleep(2.5)
    assert fake.logins == 1
    assert not client.connected
