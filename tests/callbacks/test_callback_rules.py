"""Callback rules at the fastest layer: offer, line order, attempts, end of session."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from samad_ivr.domain.callbacks import (
    AttemptResult,
    CallbackPolicy,
    InLine,
    NextStep,
    OfferReason,
    QueueFigures,
    after_attempt,
    expected_wait_seconds,
    must_convert,
    next_in_line,
    next_session_after,
    next_session_start,
    offer_callback,
    session_ends_at,
)
from samad_ivr.domain.roster import CenterCalendar, Closed, Official, OnDuty, default_window_slot

TEHRAN = ZoneInfo("Asia/Tehran")
NOW = datetime(2025, 3, 1, 6, 0, tzinfo=UTC)  # Saturday 09:30 in Tehran
END = NOW + timedelta(minutes=90)
POLICY = CallbackPolicy(max_queue_length=5, max_attempts=3, retry_seconds=120, ring_seconds=30)


def test_expected_wait_shares_the_line_between_the_desks_on_duty() -> None:
    one_desk = expected_wait_seconds(QueueFigures(ahead=6, desks_on_duty=1, talk_seconds=300))
    three = expected_wait_seconds(QueueFigures(ahead=6, desks_on_duty=3, talk_seconds=300))
    assert one_desk == 6 * 300 - 150
    assert three == 2 * 300 - 150
    assert expected_wait_seconds(QueueFigures(0, 2, 300)) == 0
    assert expected_wait_seconds(QueueFigures(1, 2, 300)) == 150
    assert expected_wait_seconds(QueueFigures(3, 0, 300)) == math.inf


def test_expected_wait_is_never_below_what_callers_already_wait() -> None:
    assert expected_wait_seconds(QueueFigures(1, 3, 60, hold_seconds=400)) == 400


def test_offer_when_the_wait_outlasts_the_session() -> None:
    near_end = NOW + timedelta(minutes=10)
    offer = offer_callback(QueueFigures(3, 1, 300), NOW, near_end, POLICY)
    assert (offer.offered, offer.reason) == (True, OfferReason.WAIT_BEYOND_SESSION)
    assert offer.seconds_left == 600


def test_offer_when_the_line_is_longer_than_the_limit() -> None:
    offer = offer_callback(QueueFigures(6, 6, 60), NOW, END, POLICY)
    assert (offer.offered, offer.reason) == (True, OfferReason.QUEUE_TOO_LONG)


def test_no_offer_for_a_short_line_with_time_to_spare_or_nobody_ahead() -> None:
    assert not offer_callback(QueueFigures(5, 2, 300), NOW, END, POLICY).offered
    assert not offer_callback(QueueFigures(0, 0, 300), NOW, NOW, POLICY).offered


def test_no_desk_on_duty_means_the_wait_outlasts_the_session() -> None:
    offer = offer_callback(QueueFigures(1, 0, None), NOW, END, POLICY)
    assert (offer.offered, offer.reason) == (True, OfferReason.WAIT_BEYOND_SESSION)


def test_a_callback_keeps_its_place_ahead_of_later_callers() -> None:
    early_cb = InLine("callback", "7", NOW - timedelta(minutes=5))
    caller = InLine("caller", "1740.1", NOW - timedelta(minutes=3))
    assert next_in_line([caller, early_cb], NOW) == early_cb
    earlier_caller = InLine("caller", "1740.0", NOW - timedelta(minutes=9))
    assert next_in_line([caller, early_cb, earlier_caller], NOW) == earlier_caller


def test_a_callback_in_its_retry_delay_does_not_hold_up_the_line() -> None:
    due = NOW + timedelta(seconds=60)
    resting = InLine("callback", "7", NOW - timedelta(minutes=5), due_at=due)
    caller = InLine("caller", "1740.1", NOW - timedelta(minutes=3))
    assert next_in_line([resting, caller], NOW) == caller
    assert next_in_line([resting, caller], NOW + timedelta(seconds=60)) == resting
    assert next_in_line([resting], NOW) is None


def test_unanswered_callback_is_retried_then_converted_after_three_attempts() -> None:
    first = after_attempt(1, AttemptResult.NOT_REACHED, NOW, END, POLICY)
    assert (first.step, first.retry_at) == (NextStep.RETRY, NOW + timedelta(seconds=120))
    assert after_attempt(2, AttemptResult.NOT_REACHED, NOW, END, POLICY).step is NextStep.RETRY
    assert after_attempt(3, AttemptResult.NOT_REACHED, NOW, END, POLICY).step is NextStep.CONVERT
    assert after_attempt(1, AttemptResult.REACHED, NOW, END, POLICY).step is NextStep.DONE


def test_no_retry_that_would_fall_after_the_session() -> None:
    end = NOW + timedelta(seconds=200)  # retry at +120 leaves 80 s < 120 s needed
    assert after_attempt(1, AttemptResult.NOT_REACHED, NOW, end, POLICY).step is NextStep.CONVERT
    assert must_convert(NOW, end - timedelta(seconds=100), POLICY)
    assert not must_convert(NOW, END, POLICY)


def test_policy_refuses_nonsense() -> None:
    with pytest.raises(ValueError, match="max_attempts"):
        CallbackPolicy(max_attempts=0)


def test_the_session_ends_with_the_last_desk_on_duty() -> None:
    day = date(2025, 3, 1)
    a = default_window_slot(day, Official(1, "a", "", "", ""), TEHRAN, time(9), time(10), 1)
    b = default_window_slot(day, Official(2, "b", "", "", ""), TEHRAN, time(9), time(11), 2)
    assert session_ends_at(OnDuty(a, (b,))) == b.ends_at
    assert session_ends_at(Closed(None)) is None


def test_next_session_skips_weekend_and_closed_days() -> None:
    # Thursday 2025-03-06 after the window; Friday is the weekend, Saturday a holiday.
    calendar = CenterCalendar(TEHRAN, frozenset({date(2025, 3, 8)}), frozenset({4}))
    after = datetime(2025, 3, 6, 11, 30, tzinfo=TEHRAN)
    assert next_session_start(calendar, time(9), after) == datetime(2025, 3, 9, 9, tzinfo=TEHRAN)
    later_slot = default_window_slot(
        date(2025, 3, 9), Official(1, "a", "", "", ""), TEHRAN, time(10), time(12), 1
    )
    assert next_session_after([later_slot], calendar, after) == later_slot.starts_at
