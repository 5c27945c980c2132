"""The call report: everything the dialplan knows about a call, validated.

The same report comes from three places: the post-call FastAGI route, the register route
(call still in progress) and the spool files written when the service or its database
was down (by us, or by the classic AGI fallback script in agi/).  All of it crossed a
trust boundary, so every field is parsed strictly and bad values become None.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from samad_ivr.agi import variables as v

SPOOL_VERSION = 1
# fullmatch only: `$` also matches before a trailing newline.
_UNIQUEID = re.compile(r"[A-Za-z0-9._-]{1,64}")
_WORD = re.compile(r"[A-Za-z_]{0,32}")
_INTERFACE = re.compile(r"[A-Za-z0-9_./@;:+-]{0,128}")
_LEGS = frozenset({"desk", "deputy", "queue", "closed", "message", "fallback"})
_TEXT_LIMIT = 256

# Report field -> the channel variable it is read from; one GET FULL VARIABLE reads them all.
CHANNEL_FIELDS: Mapping[str, str] = {
    "linkedid": v.LINKEDID,
    "started_epoch": v.STARTED,
    "answered_epoch": v.ANSWERED,
    "ended_epoch": v.ENDED,
    "stage": v.STAGE,
    "route": v.ROUTE,
    "leg": v.LEG,
    "dialstatus": v.DIALSTATUS,
    "member_interface": v.MEMBERINTERFACE,
    "queue_enter_epoch": v.QUEUE_ENTER,
    "queue_hold_seconds": v.QEHOLDTIME,
    "recording": v.RECORDING,
    "message": v.MESSAGE,
    "official_id": v.OFFICIAL_ID,
    "deputy_id": v.DEPUTY_ID,
    "center": v.CENTER,
    "tracking_code": v.TRACKING_CODE,
    "systemname": v.SYSTEMNAME,
}
FIELD_SEPARATOR = "|"


@dataclass(frozen=True, slots=True)
class CallReport:
    uniqueid: str
    linkedid: str | None
    caller_raw: str
    caller_name_raw: str
    started_at: datetime | None
    answered_at: datetime | None
    ended_at: datetime | None
    stage: str
    route: str
    leg: str
    dialstatus: str
    member_interface: str
    queue_enter_at: datetime | None
    queue_hold_seconds: int | None
    recording: str | None
    message: str | None
    official_id: int | None
    deputy_id: int | None
    center: str
    source: str  # fastagi | fallback
    # asterisk.conf's systemname ('' when unset): with the uniqueid, the call's identity.
    systemname: str = ""

    def to_json(self) -> str:
        data: dict[str, Any] = asdict(self)
        for key, value in data.items():
            if isinstance(value, datetime):
                data[key] = value.timestamp()
        data["version"] = SPOOL_VERSION
        return json.dumps(data, ensure_ascii=False, sort_keys=True)


def channel_expression() -> str:
    """The one GET FULL VARIABLE expression that fetches every channel field."""
    return FIELD_SEPARATOR.join(f"${{{name}}}" for name in CHANNEL_FIELDS.values())


def split_channel_values(joined: str | None) -> dict[str, str]:
    parts = (joined or "").split(FIELD_SEPARATOR)
    if len(parts) != len(CHANNEL_FIELDS):
        # A value contained the separator: nothing in it can be trusted positionally.
        return {}
    return dict(zip(CHANNEL_FIELDS, parts, strict=True))


def build_report(
    *,
    uniqueid: str,
    caller_raw: str,
    caller_name_raw: str,
    values: Mapping[str, object],
    source: str,
) -> CallReport:
    """Validate raw values (strings from a channel, or JSON from the spool)."""
    if not _UNIQUEID.fullmatch(uniqueid):
        raise ValueError(f"not an Asterisk unique id: {uniqueid[:80]!r}")
    leg = _text(values.get("leg"))
    return CallReport(
        uniqueid=uniqueid,
        linkedid=_match(values.get("linkedid"), _UNIQUEID),
        caller_raw=caller_raw[:_TEXT_LIMIT],
        caller_name_raw=caller_name_raw[:_TEXT_LIMIT],
        started_at=_epoch(values.get("started_epoch")),
        answered_at=_epoch(values.get("answered_epoch")),
        ended_at=_epoch(values.get("ended_epoch")),
        stage=_match(values.get("stage"), _WORD) or "",
        route=_match(values.get("route"), _WORD) or "",
        leg=leg if leg in _LEGS else "",
        dialstatus=_match(values.get("dialstatus"), _WORD) or "",
        member_interface=_match(values.get("member_interface"), _INTERFACE) or "",
        queue_enter_at=_epoch(values.get("queue_enter_epoch")),
        queue_hold_seconds=_int(values.get("queue_hold_seconds")),
        recording=_own_file(values.get("recording"), recording_name(uniqueid)),
        message=_own_file(values.get("message"), message_name(uniqueid)),
        official_id=_int(values.get("official_id")),
        deputy_id=_int(values.get("deputy_id")),
        center=_match(values.get("center"), _WORD) or "",
        source=source if source in ("fastagi", "fallback") else "fallback",
        systemname=_match(values.get("systemname"), _UNIQUEID) or "",
    )


def report_from_json(text: str) -> CallReport:
    """Parse a spool file; raises ValueError for anything that is not a valid report."""
    data = json.loads(text)
    if not isinstance(data, dict) or data.get("version") != SPOOL_VERSION:
        raise ValueError("not a version 1 call report")
    values = {key: data.get(key) for key in CHANNEL_FIELDS}
    for key in ("started", "answered", "ended", "queue_enter"):
        # Reports we wrote carry timestamps under the dataclass names.
        if f"{key}_at" in data and values.get(f"{key}_epoch") is None:
            values[f"{key}_epoch"] = data[f"{key}_at"]
    return build_report(
        uniqueid=str(data.get("uniqueid", "")),
        caller_raw=_text(data.get("caller_raw")),
        caller_name_raw=_text(data.get("caller_name_raw")),
        values=values,
        source=_text(data.get("source")),
    )


def _text(value: object) -> str:
    if isinstance(value, str):
        return value[:_TEXT_LIMIT]
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return ""


def _match(value: object, pattern: re.Pattern[str]) -> str | None:
    text = _text(value)
    return text if text and pattern.fullmatch(text) else None


def recording_name(uniqueid: str) -> str:
    """The MixMonitor file our dialplan names for a call (``${UNIQUEID}.wav``)."""
    return f"{uniqueid}.wav"


def message_name(uniqueid: str) -> str:
    """The Record() file our dialplan names for a call (``${UNIQUEID}-message.wav``)."""
    return f"{uniqueid}-message.wav"


def _own_file(value: object, expected: str) -> str | None:
    """The file name only if it is the one the dialplan names for this very call.

    Whoever reaches the FastAGI port (or writes a spool file) could otherwise name any
    file in the recordings directory, another call's included, to be read and rewritten.
    """
    return expected if _text(value) == expected else None


def _int(value: object) -> int | None:
    text = _text(value)
    return int(text) if text.isascii() and text.isdigit() and len(text) < 12 else None


def _epoch(value: object) -> datetime | None:
    text = _text(value)
    try:
        seconds = float(text)
    except ValueError:
        return None
    # Anything before 2020 or past 2100 is not a real call time.
    if not 1_577_836_800 <= seconds <= 4_102_444_800:
        return None
    return datetime.fromtimestamp(seconds, tz=UTC)
