"""The queue member reconciler and the Persian position announcer, against a fake AMI."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from samad_ivr.ami.queue_announce import WHISPER_CHANNEL, QueueAnnouncer
from samad_ivr.ami.queue_members import QueueMemberSync
from samad_ivr.domain.roster import DutySlot, Official, OnDuty, RoutingDecision

NOW = datetime(2025, 11, 30, 6, 0, tzinfo=UTC)
DEPUTY = Official(3, "معاون", "معاون", "", "PJSIP/desk-3")
ONE = Official(1, "استاندار", "استاندار", "", "PJSIP/desk-1", DEPUTY)
TWO = Official(2, "مدیر", "مدیر", "", "PJSIP/desk-2")


class FakeAmi:
    connected = True

    def __init__(self, status: list[dict[str, str]]) -> None:
        self.status = status
        self.sent: list[dict[str, str | list[str]]] = []

    async def action(
        self, fields: dict[str, str | list[str]], *, timeout: float | None = None
    ) -> object:
        self.sent.append(fields)
        return None

    async def action_list(
        self, fields: dict[str, str], *, timeout: float | None = None
    ) -> list[dict[str, str]]:
        return [{"Response": "Success"}, *self.status]


def member(interface: str, name: str, penalty: int = 0, status: str = "1") -> dict[str, str]:
    return {
        "Event": "QueueMember", "Queue": "samad-desk", "Name": name, "Location": interface,
        "Penalty": str(penalty), "Status": status, "Paused": "0",
    }  # fmt: skip


def on_duty(*officials: Official) -> RoutingDecision:
    slots = [DutySlot(i, o, NOW - timedelta(hours=1), NOW + timedelta(hours=1))
             for i, o in enumerate(officials)]  # fmt: skip
    return OnDuty(slots[0], tuple(slots[1:]))


def sync_for(ami: FakeAmi, decision: RoutingDecision) -> QueueMemberSync:
    async def decide(now: datetime) -> tuple[RoutingDecision, str]:
        return decision, "samad-desk"

    return QueueMemberSync(ami, decide, lambda: NOW)


async def test_desks_on_duty_are_added_and_a_desk_off_duty_is_removed() -> None:
    ami = FakeAmi([member("PJSIP/desk-1", "1"), member("PJSIP/old", "9")])
    todo = await sync_for(ami, on_duty(ONE, TWO)).sync()
    assert todo.remove == ("PJSIP/old",)
    actions = [(f["Action"], f["Interface"], f.get("Penalty")) for f in ami.sent]
    assert actions == [
        ("QueueRemove", "PJSIP/old", None),
        ("QueueAdd", "PJSIP/desk-2", "0"),
        ("QueueAdd", "PJSIP/desk-3", "1"),  # the deputy of ONE rings after the desks
    ]
    added = ami.sent[1]
    assert added["MemberName"] == "2"  # MEMBERNAME: the official's id
    assert added["StateInterface"] == "PJSIP/desk-2"  # device state: busy desks not rung


async def test_a_queue_that_is_right_is_left_alone() -> None:
    ami = FakeAmi([member("PJSIP/desk-2", "2")])
    assert (await sync_for(ami, on_duty(TWO)).sync()).empty
    assert ami.sent == []


def entry(uid: str, position: int, wait: int) -> dict[str, str]:
    return {
        "Event": "QueueEntry", "Queue": "samad-desk", "Uniqueid": uid,
        "Channel": f"PJSIP/trunk-{uid}", "Position": str(position), "Wait": str(wait),
    }  # fmt: skip


async def test_each_waiting_caller_hears_their_place_on_entry_and_then_every_period() -> None:
    clock = [100.0]
    ami = FakeAmi([])
    announcer = QueueAnnouncer(ami, every=45, clock=lambda: clock[0])
    params = {"Event": "QueueParams", "Queue": "samad-desk", "TalkTime": "240"}
    status = [params, member("PJSIP/desk-1", "1", status="2"), entry("a", 1, 3), entry("b", 3, 1)]
    assert [c.uniqueid for c in await announcer.observe("samad-desk", status)] == ["a", "b"]
    first, third = ami.sent
    assert first["Channel"] == WHISPER_CHANNEL
    assert first["Variable"] == ["SAMAD_SPY=PJSIP/trunk-a"]
    # next, about two minutes (half a conversation); two ahead of b, one desk: ~10 min
    assert first["Data"] == "queue-youarenext&queue-holdtime&digits/2&queue-minutes"
    assert third["Data"] == (
        "queue-thereare&digits/2&queue-callswaiting&queue-holdtime&digits/10&queue-minutes"
    )
    clock[0] += 30
    assert await announcer.observe("samad-desk", status) == []
    clock[0] += 15
    status = [params, entry("b", 2, 46)]  # a was answered
    assert [c.uniqueid for c in await announcer.observe("samad-desk", status)] == ["b"]
