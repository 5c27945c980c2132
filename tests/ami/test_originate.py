"""The outbound-call module: what Asterisk's OriginateResponse means, what is refused."""

from __future__ import annotations

from collections.abc import Mapping

import pytest

from samad_ivr.ami.client import AmiError, AmiResponse
from samad_ivr.ami.originate import AmiOriginator, CallResult, OutboundCall


class FakeAmi:
    """Answers every action with one OriginateResponse (or raises), remembers the fields."""

    def __init__(self, response: AmiResponse | AmiError) -> None:
        self.response = response
        self.sent: list[Mapping[str, str | list[str]]] = []

    async def action(
        self, fields: Mapping[str, str | list[str]], *, timeout: float | None = None
    ) -> AmiResponse:
        self.sent.append(fields)
        if isinstance(self.response, AmiError):
            raise self.response
        return self.response


def call(**changes: object) -> OutboundCall:
    values: dict[str, object] = {
        "dial": "PJSIP/09121234567@trunk", "context": "samad-satisfaction", "exten": "s",
        "caller_id": "Samad <111>", "ring_seconds": 30, "variables": {"SAMAD_SAT_QUESTION": "7"},
    }  # fmt: skip
    values.update(changes)
    return OutboundCall(**values)  # type: ignore[arg-type]


def response(ok: bool, reason: str = "") -> AmiResponse:
    return AmiResponse(ok, "", {"Response": "Success" if ok else "Failure", "Reason": reason})


@pytest.mark.parametrize(
    ("answer", "result"),
    [
        (response(True, "4"), CallResult.ANSWERED),
        (response(False, "5"), CallResult.BUSY),
        (response(False, "8"), CallResult.BUSY),  # congestion
        (response(False, "3"), CallResult.NO_ANSWER),
        (response(False, "1"), CallResult.NO_ANSWER),  # hung up while ringing
        (response(False, "0"), CallResult.FAILED),
        (AmiError("AMI is not connected"), CallResult.FAILED),
    ],
)
async def test_the_originate_response_says_how_the_call_went(
    answer: AmiResponse | AmiError, result: CallResult
) -> None:
    assert await AmiOriginator(FakeAmi(answer)).place(call()) is result  # type: ignore[arg-type]


async def test_the_originate_names_our_unique_id_the_ring_time_and_the_variables() -> None:
    ami = FakeAmi(response(True, "4"))
    outbound = call()
    await AmiOriginator(ami).place(outbound)  # type: ignore[arg-type]
    sent = ami.sent[0]
    assert sent["ChannelId"] == outbound.channel_id
    assert (sent["Timeout"], sent["Async"]) == ("30000", "true")
    assert sent["Variable"] == ["SAMAD_SAT_QUESTION=7"]


@pytest.mark.parametrize(
    "changes",
    [
        {"dial": "PJSIP/0912\r\nAction: Command"},
        {"caller_id": "x,y"},
        {"variables": {"SAMAD_SAT_QUESTION": "7\n"}},
        {"variables": {"bad name": "1"}},
    ],
)
def test_values_that_could_break_an_ami_line_are_refused(changes: dict[str, object]) -> None:
    with pytest.raises(ValueError, match="unsafe"):
        call(**changes)
