"""Pure timing and mapping rules of the SMS pipeline (time is an argument)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime, timedelta

from samad_ivr.storage.requests import SmsStatus


def retry_delay(attempt: int, base_seconds: float, max_seconds: float) -> float:
    """Exponential backoff after failed attempt number `attempt` (1-based)."""
    return float(min(max_seconds, base_seconds * 2 ** max(0, min(attempt - 1, 30))))


def next_poll_delay(polls: int, first_seconds: float, max_seconds: float) -> float:
    """Status polls back off from minutes to hours: first, 2x first, 4x first, ..."""
    return float(min(max_seconds, first_seconds * 2 ** max(0, min(polls, 30))))


def cap_window_start(now: datetime) -> datetime:
    """The per-destination cap counts the last 24 hours (a sliding day)."""
    return now - timedelta(days=1)


# Kannel DLR types (the %d of a DLR URL).
KANNEL_DLR_TYPES: Mapping[int, SmsStatus] = {
    1: "delivered",
    2: "undelivered",
    4: "submitted",  # buffered at the SMSC
    8: "submitted",  # SMSC accepted
    16: "failed",  # SMSC rejected
}

# SMPP delivery receipt states found in the raw answer (%A): "... stat:DELIVRD ...".
SMPP_STATES: Mapping[str, SmsStatus] = {
    "DELIVRD": "delivered",
    "UNDELIV": "undelivered",
    "EXPIRED": "expired",
    "REJECTD": "failed",
    "DELETED": "failed",
    "UNKNOWN": "undelivered",
    "ACCEPTD": "submitted",
    "ENROUTE": "submitted",
}
_STAT_RE = re.compile(r"\bstat:([A-Z]{7})\b")


def kannel_dlr_status(dlr_type: int, answer: str) -> SmsStatus | None:
    """Our status for a Kannel DLR, or None for a type Kannel does not send.

    A final type (1, 2, 16) is refined by the SMPP receipt's `stat:` when present,
    so that EXPIRED and REJECTD are not lost in "undelivered".
    """
    status = KANNEL_DLR_TYPES.get(dlr_type)
    if status is None:
        return None
    if dlr_type in (1, 2, 16):
        match = _STAT_RE.search(answer)
        if match and match.group(1) in SMPP_STATES:
            refined = SMPP_STATES[match.group(1)]
            if refined != "submitted":
                return refined
    return status
