"""The transition table of a request's life: what moves exist, and what every refusal says."""

from __future__ import annotations

import itertools
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from samad_ivr.domain.errors import DomainError
from samad_ivr.domain.lifecycle import (
    ACTION_FA,
    OPEN_STATUSES,
    STATUS_FA,
    TRANSITIONS,
    Action,
    Status,
    TransitionRefused,
    allowed_actions,
    next_status,
)

PAIRS = list(itertools.product(Status, Action))
PERSIAN = re.compile(r"[\u0600-\u06FF]")


def reachable(start: Status) -> set[Status]:
    seen, frontier = {start}, [start]
    while frontier:
        current = frontier.pop()
        for action in allowed_actions(current):
            target = next_status(current, action)
            if target not in seen:
                seen.add(target)
                frontier.append(target)
    return seen


def test_every_status_can_be_reached_from_registered() -> None:
    assert reachable(Status.REGISTERED) == set(Status)


def test_every_open_request_can_still_be_closed() -> None:
    for status in OPEN_STATUSES:
        assert Status.CLOSED in reachable(status), status


def test_only_accepting_or_resolving_closes_a_request() -> None:
    closing = {action for (_, action), to in TRANSITIONS.items() if to is Status.CLOSED}
    assert closing == {Action.ACCEPT, Action.RESOLVE}


def test_a_closed_request_can_only_be_reopened() -> None:
    assert allowed_actions(Status.CLOSED) == {Action.REOPEN}
    assert frozenset(Status) - {Status.CLOSED} == OPEN_STATUSES


def test_only_an_assigned_request_is_escalated() -> None:
    # The deadline job escalates with one UPDATE over status 'assigned'; it relies on this.
    assert {s for (s, a) in TRANSITIONS if a is Action.ESCALATE} == {Status.ASSIGNED}
    assert TRANSITIONS[(Status.ASSIGNED, Action.ESCALATE)] is Status.ESCALATED


def test_the_agency_answers_only_what_waits_for_it() -> None:
    assert {s for (s, a) in TRANSITIONS if a is Action.ANSWER} == {
        Status.ASSIGNED,
        Status.ESCALATED,
    }


def test_a_new_round_for_the_agency_always_lands_in_assigned() -> None:
    for (_, action), to in TRANSITIONS.items():
        if action in (Action.ASSIGN, Action.SEND_BACK):
            assert to is Status.ASSIGNED


@pytest.mark.parametrize(("status", "action"), PAIRS, ids=lambda v: str(v))
def test_next_status_follows_the_table_and_refuses_everything_else(
    status: Status, action: Action
) -> None:
    if (status, action) in TRANSITIONS:
        assert next_status(status, action) is TRANSITIONS[(status, action)]
        assert action in allowed_actions(status)
        return
    assert action not in allowed_actions(status)
    with pytest.raises(TransitionRefused) as refused:
        next_status(status, action)
    assert (refused.value.current, refused.value.action) == (status, action)
    assert isinstance(refused.value, DomainError)
    assert str(refused.value) == f"cannot {action.value} a request that is {status.value}"
    message = refused.value.message_fa
    assert ACTION_FA[action] in message
    assert STATUS_FA[status] in message


def test_every_status_and_action_has_a_persian_name() -> None:
    for names, members in ((STATUS_FA, list(Status)), (ACTION_FA, list(Action))):
        assert set(names) == set(members)
        for name in names.values():
            assert PERSIAN.search(name), name
            assert name == name.strip()
    assert len(set(STATUS_FA.values())) == len(Status)
    assert len(set(ACTION_FA.values())) == len(Action)


@given(st.lists(st.sampled_from(list(Action)), max_size=40))
def test_any_sequence_of_actions_moves_only_along_the_table(actions: list[Action]) -> None:
    current = Status.REGISTERED
    for action in actions:
        allowed = allowed_actions(current)
        try:
            moved = next_status(current, action)
        except TransitionRefused:
            assert action not in allowed
            continue
        assert action in allowed
        if moved is Status.CLOSED:
            assert action in (Action.ACCEPT, Action.RESOLVE)
        current = moved
    assert current in set(Status)
