"""Settings of callbacks instead of endless waiting (SAMAD_CALLBACK_*; README "Callbacks")."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from samad_ivr.domain.callbacks import CallbackPolicy

__all__ = ["CallbackSettings", "callback_settings"]


@dataclass(frozen=True, slots=True)
class CallbackSettings:
    enabled: bool = True  # SAMAD_CALLBACK_OFFER=0 turns the offer off
    policy: CallbackPolicy = field(default_factory=CallbackPolicy)
    # The Originate channel: {national} (09121234567) or {e164} (+989121234567).
    dial: str = "PJSIP/{national}@samad-trunk"
    caller_id: str = "Samad <111>"
    dispatch_seconds: int = 5  # how often a free desk is matched with the line


def callback_settings(
    get: Callable[[str, str], str], integer: Callable[[str, int, int, int], int]
) -> CallbackSettings:
    """Read SAMAD_CALLBACK_* through Settings.from_env's own helpers."""
    from samad_ivr.settings import SettingsError  # here: samad_ivr.settings imports us

    dial = get("CALLBACK_DIAL", get("SATISFACTION_DIAL", "PJSIP/{national}@samad-trunk"))
    if "{national}" not in dial and "{e164}" not in dial:
        raise SettingsError("SAMAD_CALLBACK_DIAL must contain {national} or {e164}")
    enabled = get("CALLBACK_OFFER", "1")
    if enabled not in ("0", "1"):
        raise SettingsError(f"SAMAD_CALLBACK_OFFER must be 0 or 1, got {enabled!r}")
    policy = CallbackPolicy(
        max_queue_length=integer("CALLBACK_QUEUE_LIMIT", 5, 0, 1000),
        max_attempts=integer("CALLBACK_ATTEMPTS", 3, 1, 10),
        retry_seconds=integer("CALLBACK_RETRY_SECONDS", 120, 10, 3600),
        ring_seconds=integer("CALLBACK_RING_SECONDS", 30, 5, 120),
        min_seconds_left=integer("CALLBACK_MIN_SECONDS_LEFT", 120, 0, 3600),
    )
    return CallbackSettings(
        enabled=enabled == "1", policy=policy, dial=dial,
        caller_id=get("CALLBACK_CALLER_ID", get("SATISFACTION_CALLER_ID", "Samad <111>")),
        dispatch_seconds=integer("CALLBACK_DISPATCH_SECONDS", 5, 1, 60),
    )  # fmt: skip
