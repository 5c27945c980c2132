"""Status by phone, the pure rules: what counts as a code, whose limit, what is heard."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from samad_ivr.audio.prompts import read_manifest
from samad_ivr.domain.lifecycle import Status
from samad_ivr.domain.spoken import SPOKEN_WORDS, jalali_date_prompts
from samad_ivr.domain.status_line import (
    UNKNOWN_CALLER,
    Attempts,
    FoundRequest,
    Outcome,
    StatusLimits,
    caller_bucket,
    clean_typed,
    code_of,
    limit_reached,
    menu_prompts,
    outcome_prompts,
    status_prompts,
)
from samad_ivr.domain.tracking import verhoeff_check_digit

VALID = "123456789" + verhoeff_check_digit("123456789")
LIMITS = StatusLimits(per_call=3, per_caller_hour=10, center_not_found_hour=30)


def wrong_check_digit(code: str) -> str:
    return code[:-1] + str((int(code[-1]) + 1) % 10)


def test_a_code_with_its_check_digit_is_a_code_and_one_digit_off_is_not() -> None:
    assert code_of(VALID) == VALID
    assert code_of(wrong_check_digit(VALID)) is None
    assert code_of(VALID[:-1]) is None
    assert code_of(VALID + "1") is None
    assert code_of("0" + VALID[1:]) is None


def test_typed_input_keeps_only_keypad_characters_and_drops_the_closing_hash() -> None:
    assert clean_typed(VALID + "#") == VALID
    assert clean_typed("12\r\n34 ;x") == "1234"
    assert clean_typed("9" * 100) == "9" * 32
    assert clean_typed("") == ""


@pytest.mark.parametrize(
    "raw", ["", "anonymous", "Anonymous", "unknown", "0918\r\nAction: Originate", "abc", "+"]
)
def test_withheld_and_garbage_caller_ids_share_one_bucket(raw: str) -> None:
    assert caller_bucket(raw) == UNKNOWN_CALLER


def test_a_number_in_any_trunk_form_is_one_bucket() -> None:
    forms = ["09181234567", "9181234567", "989181234567", "00989181234567", "+989181234567"]
    assert {caller_bucket(form) for form in forms} == {"+989181234567"}


@pytest.mark.parametrize(
    ("attempts", "expected"),
    [
        (Attempts(0, 0, 0), None),
        (Attempts(2, 9, 29), None),
        (Attempts(3, 0, 0), Outcome.LIMIT_CALL),
        (Attempts(0, 10, 0), Outcome.LIMIT_CALLER),
        (Attempts(0, 0, 30), Outcome.LIMIT_CENTER),
        (Attempts(3, 10, 30), Outcome.LIMIT_CALL),
    ],
)
def test_limits_refuse_the_attempt_after_the_last_allowed_one(
    attempts: Attempts, expected: Outcome | None
) -> None:
    assert limit_reached(attempts, LIMITS) is expected


def found(status: Status, *, due: date | None, answered: bool, sms: bool) -> FoundRequest:
    return FoundRequest(7, status, date(2025, 3, 20), due, answered, sms)


def test_an_assigned_request_is_read_with_status_last_change_deadline_and_no_answer() -> None:
    prompts = status_prompts(
        found(Status.ASSIGNED, due=date(2025, 4, 2), answered=False, sms=False)
    )
    assert prompts == [
        "status-request-is", "status/assigned",
        "status-last-change", *jalali_date_prompts(date(2025, 3, 20)),
        "status-deadline", *jalali_date_prompts(date(2025, 4, 2)),
        "status-no-answer",
    ]  # fmt: skip
    # 2025-03-20 is Thursday 30 Esfand 1403, spoken by our composer.
    assert prompts[3:8] == ["weekdays/3", "digits/30", "months/12", "digits/1000", "digits/and"]


def test_an_answered_request_says_the_answer_went_by_sms_when_it_did() -> None:
    sent = status_prompts(found(Status.ANSWERED, due=date(2025, 4, 2), answered=True, sms=True))
    assert sent[-1] == "status-answer-sent"
    landline = status_prompts(found(Status.ANSWERED, due=None, answered=True, sms=False))
    assert landline[-1] == "status-answer-exists"
    assert "status-deadline" not in landline


def test_a_closed_request_has_no_deadline_read_out() -> None:
    prompts = status_prompts(found(Status.CLOSED, due=date(2025, 4, 2), answered=True, sms=True))
    assert "status-deadline" not in prompts


def test_every_status_and_outcome_has_its_own_prompt_in_the_vocabulary() -> None:
    manifest = read_manifest(Path(__file__).resolve().parents[2] / "recordings" / "manifest.tsv")
    heard: set[str] = set()
    for status in Status:
        for answered, sms in ((False, False), (True, False), (True, True)):
            heard |= set(
                status_prompts(found(status, due=date(2025, 4, 2), answered=answered, sms=sms))
            )
    for outcome in Outcome:
        if outcome is not Outcome.FOUND:
            heard |= set(outcome_prompts(outcome, None))
    heard |= set(menu_prompts(resend=True, another=True))
    missing = {name for name in heard if name not in manifest and name not in SPOKEN_WORDS}
    assert not missing
    assert {f"status/{s.value}" for s in Status} <= set(manifest)


def test_the_menu_offers_only_what_the_caller_may_do() -> None:
    assert menu_prompts(resend=True, another=True) == [
        "status-menu-resend", "status-menu-another", "status-menu-route",
    ]  # fmt: skip
    assert menu_prompts(resend=False, another=False) == ["status-menu-route"]


def test_a_found_outcome_without_its_request_is_a_bug() -> None:
    with pytest.raises(ValueError, match="needs its request"):
        outcome_prompts(Outcome.FOUND, None)
