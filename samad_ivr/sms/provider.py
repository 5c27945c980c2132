"""The one small async interface in front of every SMS gateway.

A provider turns one outbox message into one `SendResult` and never raises for
gateway trouble: outages, garbage and refusals are results, so the worker can record
them and decide on retries in one place.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

from samad_ivr.storage.requests import SmsStatus

Outcome = Literal["accepted", "transient", "permanent"]
MAX_RAW = 2000  # raw answers are stored for diagnosis, not archived in full


@dataclass(frozen=True, slots=True)
class OutgoingSms:
    outbox_id: int  # our idempotency key: travels to providers that accept one
    destination: str  # E.164
    body: str


@dataclass(frozen=True, slots=True)
class SendResult:
    outcome: Outcome
    detail: str
    provider_message_id: str | None = None
    http_status: int | None = None
    raw_response: str | None = None
    # Set when admins must act (no credit, bad credentials): notified once per day.
    alert: str | None = None
    # The provider's own status code from the send answer, if it gave one.
    provider_status: str | None = None


@dataclass(frozen=True, slots=True)
class DeliveryReport:
    provider_message_id: str
    raw_code: str
    raw: str
    status: SmsStatus


class SmsProvider(Protocol):
    """Sends one message; `name` is stored with every attempt and outbox row."""

    @property
    def name(self) -> str: ...

    async def send(self, sms: OutgoingSms) -> SendResult:
        """Send `sms` once, within the provider's own timeout. Never raises for I/O."""
        ...


class StatusPoller(Protocol):
    """Providers without delivery callbacks are asked for the state of sent messages."""

    async def poll(self, provider_message_ids: Sequence[str]) -> list[DeliveryReport]:
        """Current state of each known id; unknown ids are left out. May raise
        `ProviderUnavailable`."""
        ...


class ProviderUnavailable(Exception):
    """A status poll could not be answered now (network, garbage, rate limit)."""


def redact(text: str, *secrets: str | None) -> str:
    """`text` with every secret replaced, cut to `MAX_RAW` characters."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text[:MAX_RAW]


def mask_number(e164: str) -> str:
    """A destination for logs: ``+98912***4567``."""
    if len(e164) > 10:
        return f"{e164[:6]}***{e164[-4:]}"
    return f"{e164[:3]}***{e164[-2:]}"
