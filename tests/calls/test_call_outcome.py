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
