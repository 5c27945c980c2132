"""Live listen-in: ring the listener's own endpoint and run ChanSpy, listen-only, on a
channel of the call.

Nothing the browser sends reaches AMI except through a lookup: the call id selects a
call row; its `uniqueid` is matched against the live channels that AMI reports
(CoreShowChannels); the spied channel is then named by the uniqueid AMI reported for it
(digits and a dot, checked), and the Originate's Channel is the listener's stored,
validated endpoint.  The dialplan context `samad-listen` runs
`ChanSpy(${SAMAD_SPY_CHANNEL},qESu)`: quiet, exit when the call ends, uniqueid match,
no whisper and no barge.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from samad_ivr.ami.client import AmiClient, AmiError
from samad_ivr.storage.listen_audit import valid_listen_endpoint

__all__ = [
    "LISTEN_CONTEXT",
    "AmiListenGateway",
    "ListenError",
    "ListenGateway",
    "LiveChannel",
    "allowed_endpoint",
    "choose_channel",
    "valid_allow_entry",
]

log = logging.getLogger(__name__)

LISTEN_CONTEXT = "samad-listen"
LISTEN_EXTEN = "spy"
SPY_VARIABLE = "SAMAD_SPY_CHANNEL"
# Asterisk's uniqueid: epoch.sequence, prefixed by `systemname-` on a node that sets one.
_UNIQUEID_RE = re.compile(r"(?:[A-Za-z0-9][A-Za-z0-9._-]{0,63}-)?[0-9]{1,20}\.[0-9]{1,10}")


_WILDCARD = "[A-Za-z0-9_.+-]+"


def valid_allow_entry(entry: str) -> bool:
    """An allow-list entry is an endpoint in which `*` may stand for part of a name
    (``PJSIP/listener-*``); a bare ``*`` resource (any phone) is refused."""
    resource = entry.partition("/")[2]
    name = resource.split("@", 1)[0]
    return valid_listen_endpoint(entry.replace("*", "x")) and name.strip("*") != ""


def allowed_endpoint(endpoint: str, allow: Sequence[str]) -> bool:
    """True when `endpoint` is one the configured allow-list names (whole-string match)."""
    if not valid_listen_endpoint(endpoint):
        return False
    for entry in allow:
        pattern = _WILDCARD.join(re.escape(part) for part in entry.split("*"))
        if re.fullmatch(pattern, endpoint):
            return True
    return False


class ListenError(Exception):
    """Listening cannot start; `str()` is a Persian message for the listener."""


@dataclass(frozen=True, slots=True)
class LiveChannel:
    name: str
    uniqueid: str
    linkedid: str


class ListenGateway(Protocol):
    """What listen-in needs from Asterisk (AMI in production, a fake in tests)."""

    async def live_channels(self) -> Sequence[LiveChannel]: ...

    async def originate_spy(self, endpoint: str, spy_uniqueid: str, caller_id: str) -> None: ...


def choose_channel(channels: Sequence[LiveChannel], call_uniqueid: str) -> LiveChannel | None:
    """The live channel of the call (its own uniqueid), else one linked to it."""
    own = [c for c in channels if c.uniqueid == call_uniqueid]
    linked = [c for c in channels if c.linkedid == call_uniqueid]
    for candidate in own + linked:
        if _UNIQUEID_RE.fullmatch(candidate.uniqueid):
            return candidate
    return None


def spy_variables(endpoint: str, spy_uniqueid: str) -> Mapping[str, str]:
    """Checked again right before AMI: never send anything we did not validate."""
    if not valid_listen_endpoint(endpoint):
        raise ListenError("نقطهٔ شنود کاربر معتبر نیست.")
    if not _UNIQUEID_RE.fullmatch(spy_uniqueid):
        raise ListenError("کانال تماس معتبر نیست.")
    return {SPY_VARIABLE: spy_uniqueid}


class AmiListenGateway:
    """`ListenGateway` over our AMI client."""

    def __init__(self, ami: AmiClient, timeout: float = 5.0) -> None:
        self._ami = ami
        self._timeout = timeout

    async def live_channels(self) -> Sequence[LiveChannel]:
        if not self._ami.connected:
            raise ListenError("ارتباط با مرکز تلفن برقرار نیست.")
        try:
            messages = await self._ami.action_list(
                {"Action": "CoreShowChannels"}, timeout=self._timeout
            )
        except AmiError as exc:
            raise ListenError("مرکز تلفن پاسخ نداد.") from exc
        channels = []
        for fields in messages:
            if fields.get("Event") == "CoreShowChannel":
                channels.append(LiveChannel(
                    fields.get("Channel", ""), fields.get("Uniqueid", ""),
                    fields.get("Linkedid", ""),
                ))  # fmt: skip
        return channels

    async def originate_spy(self, endpoint: str, spy_uniqueid: str, caller_id: str) -> None:
        variables = spy_variables(endpoint, spy_uniqueid)
        try:
            await self._ami.originate(
                channel=endpoint, context=LISTEN_CONTEXT, exten=LISTEN_EXTEN,
                caller_id=caller_id, variables=variables, timeout_ms=30000,
            )  # fmt: skip
        except AmiError as exc:
            log.warning("listen-in originate failed: %s", exc)
            raise ListenError("برقراری تماس شنود ممکن نشد.") from exc
