"""SAMAD_CALLBACK_* settings: defaults, overrides and refusals."""

from __future__ import annotations

import pytest

from samad_ivr.settings import Settings, SettingsError


def test_defaults_follow_the_satisfaction_dial_and_caller_id() -> None:
    s = Settings.from_env({"SAMAD_SATISFACTION_DIAL": "PJSIP/{e164}@t",
                           "SAMAD_SATISFACTION_CALLER_ID": "<111>"}).callbacks  # fmt: skip
    assert (s.enabled, s.dial, s.caller_id, s.dispatch_seconds) == (True, "PJSIP/{e164}@t",
                                                                    "<111>", 5)  # fmt: skip
    assert (s.policy.max_queue_length, s.policy.max_attempts, s.policy.retry_seconds) == (5, 3, 120)


def test_overrides_are_read() -> None:
    s = Settings.from_env({
        "SAMAD_CALLBACK_OFFER": "0", "SAMAD_CALLBACK_QUEUE_LIMIT": "8",
        "SAMAD_CALLBACK_ATTEMPTS": "2", "SAMAD_CALLBACK_DIAL": "Local/{national}@x",
    }).callbacks  # fmt: skip
    assert (s.enabled, s.policy.max_queue_length, s.policy.max_attempts, s.dial) == (
        False, 8, 2, "Local/{national}@x",
    )  # fmt: skip


@pytest.mark.parametrize(
    ("name", "value", "says"),
    [("SAMAD_CALLBACK_DIAL", "PJSIP/0912@t", "CALLBACK_DIAL"),
     ("SAMAD_CALLBACK_OFFER", "yes", "CALLBACK_OFFER"),
     ("SAMAD_CALLBACK_ATTEMPTS", "0", "CALLBACK_ATTEMPTS")],
)  # fmt: skip
def test_bad_values_are_refused(name: str, value: str, says: str) -> None:
    with pytest.raises(SettingsError, match=says):
        Settings.from_env({name: value})
