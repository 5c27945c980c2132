from __future__ import annotations

import pytest

from samad_ivr.domain.call_outcome import Disposition, LegFacts, RouteTaken, decide_outcome


def facts(**overrides: object) -> LegFacts:
    base: dict[str, object] = dict(
        leg="desk",
        dialstatus="",
        member_interface="",
        official_id=1,
        deputy_id=2,
        message_seconds=None,
    )
    base.update(overrides)
    return LegFacts(**base)  # type: ignore[arg-type]


def test_desk_answer_is_a_conversation_with_the_official() -> None:
    outcome = decide_outcome(facts(dialstatus="ANSWER"))
    assert outcome.disposition is Disposition.ANSWERED
    assert outcome.official_id == 1
    assert outcome.creates_request


def test_deputy_answer_credits_the_deputy() -> None:
    outcome = decide_outcome(facts(leg="deputy", dialstatus="ANSWER"))
    assert outcome.route is RouteTaken.DEPUTY
    assert outcome.official_id == 2


def test_queue_answer_is_known_by_the_member_interface() -> None:
    outcome = decide_outcome(facts(leg="queue", member_interface="Local/desk@samad-queue-desk/n"))
    assert outcome.disposition is Disposition.ANSWERED


def test_a_queue_member_who_answered_is_the_official_of_the_call() -> None:
    # The dialplan set the official to MEMBERNAME and the leg by the member's penalty.
    desk = decide_outcome(facts(leg="desk", member_interface="PJSIP/desk-7", official_id=7))
    assert (desk.disposition, desk.route, desk.official_id) == (
        Disposition.ANSWERED, RouteTaken.DESK, 7
    )  # fmt: skip
    deputy = decide_outcome(facts(leg="deputy", member_interface="PJSIP/dep-9", official_id=9))
    assert (deputy.route, deputy.official_id) == (RouteTaken.DEPUTY, 9)


@pytest.mark.parametrize("seconds", [None, 0.0, 0.5])
def test_no_conversation_and_no_real_message_is_abandoned(seconds: float | None) -> None:
    outcome = decide_outcome(facts(leg="closed", message_seconds=seconds))
    assert outcome.disposition is Disposition.ABANDONED
    assert not outcome.creates_request


def test_a_message_after_the_queue_is_a_message_request() -> None:
    outcome = decide_outcome(facts(leg="queue", message_seconds=12.0))
    assert outcome.disposition is Disposition.MESSAGE
    assert outcome.official_id is None
    assert outcome.creates_request


def test_a_busy_desk_is_not_a_conversation() -> None:
    assert not decide_outcome(facts(dialstatus="BUSY")).conversation
