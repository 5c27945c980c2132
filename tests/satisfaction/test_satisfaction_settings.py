"""SAMAD_SATISFACTION_* read into Settings.satisfaction, refused when malformed."""

from __future__ import annotations

from datetime import time, timedelta

import pytest

from samad_ivr.domain.satisfaction import Channel
from samad_ivr.settings import Settings, SettingsError


def test_by_default_both_channels_a_day_after_seven_days_to_reply_ten_to_six() -> None:
    s = Settings.from_env({}).satisfaction
    p = s.policy
    assert p.channels == {Channel.SMS, Channel.CALL}
    assert (p.ask_after, p.reply_within) == (timedelta(days=1), timedelta(days=7))
    assert (p.call.window_start, p.call.window_end) == (time(10), time(18))
    assert (p.call.retries, p.call.retry_span) == (3, timedelta(days=2))
    assert "{national}" in s.dial


def test_the_settings_change_the_channels_window_and_times() -> None:
    s = Settings.from_env({
        "SAMAD_SATISFACTION_CHANNELS": "sms", "SAMAD_SATISFACTION_CALL_WINDOW": "09:30-17:00",
        "SAMAD_SATISFACTION_ASK_AFTER_MINUTES": "120", "SAMAD_SATISFACTION_REPLY_DAYS": "3",
        "SAMAD_SATISFACTION_DIAL": "PJSIP/{e164}@mci",
    }).satisfaction  # fmt: skip
    assert s.policy.channels == {Channel.SMS}
    assert (s.policy.call.window_start, s.policy.call.window_end) == (time(9, 30), time(17))
    assert (s.policy.ask_after, s.policy.reply_within) == (timedelta(hours=2), timedelta(days=3))
    assert (
        Settings.from_env({"SAMAD_SATISFACTION_CHANNELS": "none"}).satisfaction.policy.channels
        == set()
    )


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("SAMAD_SATISFACTION_CHANNELS", "sms,fax"),
        ("SAMAD_SATISFACTION_CALL_WINDOW", "18:00-10:00"),
        ("SAMAD_SATISFACTION_CALL_WINDOW", "ten to six"),
        ("SAMAD_SATISFACTION_DIAL", "PJSIP/09121234567@trunk"),
        ("SAMAD_SATISFACTION_REPLY_DAYS", "0"),
    ],
)
def test_malformed_satisfaction_settings_are_refused(name: str, value: str) -> None:
    with pytest.raises(SettingsError):
        Settings.from_env({name: value})
