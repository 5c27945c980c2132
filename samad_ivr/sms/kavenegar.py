"""Kavenegar's REST API over aiohttp: send with our id as `localid`, poll statuses.

The API key sits in the URL path, so URLs are never logged and every text that could
echo one (exception messages, raw bodies) is redacted. Success is the body's
`return.status == 200`; the HTTP status is 200 for errors too.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Mapping, Sequence
from typing import Any

import aiohttp

from samad_ivr.sms.config import KavenegarSettings
from samad_ivr.sms.provider import (
    DeliveryReport,
    OutgoingSms,
    ProviderUnavailable,
    SendResult,
    mask_number,
    redact,
)
from samad_ivr.storage.requests import SmsStatus

log = logging.getLogger(__name__)

# Codes in `return.status` (Kavenegar's error table).
RATE_LIMITED, NO_CREDIT = 414, 418
# Only the message itself can be wrong here; retrying it cannot help.
PERMANENT_ERRORS = frozenset({411, 413, 422})
# Our account or configuration is wrong: keep the message, tell the admins.
ALERT_ERRORS: Mapping[int, str] = {
    401: "Kavenegar account is inactive",
    403: "Kavenegar refused the API key (SAMAD_SMS_KAVENEGAR_API_KEY)",
    412: "Kavenegar refused the sender line (SAMAD_SMS_SENDER)",
    NO_CREDIT: "Kavenegar account has no credit: SMS are waiting until it is topped up",
}

# Delivery codes of sms/status and sms/send entries.
DELIVERY_STATUS: Mapping[int, SmsStatus] = {
    1: "submitted",  # in the send queue
    2: "submitted",  # scheduled
    4: "submitted",  # handed to the operator
    5: "submitted",  # handed to the operator
    6: "failed",
    10: "delivered",
    11: "undelivered",
    13: "failed",  # cancelled
    14: "blocked",  # receiver blocked advertising/our line
    100: "failed",  # unknown message id
}


def to_receptor(e164: str) -> str:
    """Kavenegar's documented receptor form for Iranian mobiles: ``09xxxxxxxxx``."""
    return "0" + e164[3:] if e164.startswith("+98") else e164.lstrip("+")


class KavenegarProvider:
    def __init__(
        self,
        session: aiohttp.ClientSession,
        settings: KavenegarSettings,
        *,
        sender: str | None,
        timeout: float,
    ) -> None:
        if settings.api_key is None:
            raise ValueError("Kavenegar needs an API key")
        self._session = session
        self._base = settings.base_url
        self._key = settings.api_key.value
        self._sender = sender
        self._timeout = timeout

    @property
    def name(self) -> str:
        return "kavenegar"

    def _url(self, method: str) -> str:
        return f"{self._base}/v1/{self._key}/{method}"

    async def _post(self, method: str, form: Mapping[str, str]) -> tuple[int, str]:
        async with asyncio.timeout(self._timeout):
            async with self._session.post(self._url(method), data=dict(form)) as resp:
                return resp.status, await resp.text(errors="replace")

    async def send(self, sms: OutgoingSms) -> SendResult:
        form = {
            "receptor": to_receptor(sms.destination),
            "message": sms.body,
            # A retry with the same localid is not sent again; Kavenegar answers with
            # the earlier message instead.
            "localid": str(sms.outbox_id),
        }
        if self._sender:
            form["sender"] = self._sender
        try:
            http_status, body = await self._post("sms/send.json", form)
        except (aiohttp.ClientError, OSError, TimeoutError) as exc:
            detail = redact(f"{type(exc).__name__}: {exc}", self._key)
            log.warning("kavenegar send of sms %s failed: %s", sms.outbox_id, detail)
            return SendResult("transient", detail)
        raw = redact(body, self._key)
        result = self._classify(http_status, raw)
        log.info(
            "kavenegar: sms %s to %s %s (%s)",
            sms.outbox_id,
            mask_number(sms.destination),
            result.outcome,
            result.detail,
        )
        return result

    def _classify(self, http_status: int, raw: str) -> SendResult:
        parsed = _parse(raw)
        if parsed is None:
            return SendResult(
                "transient", "unreadable answer", http_status=http_status, raw_response=raw
            )
        code, entries = parsed
        if code == 200:
            first = entries[0] if entries else {}
            message_id = first.get("messageid") if isinstance(first, dict) else None
            if not isinstance(message_id, int | str) or isinstance(message_id, bool):
                return SendResult(
                    "transient",
                    "accepted without a message id",
                    http_status=http_status,
                    raw_response=raw,
                )
            entry_status = first.get("status")
            return SendResult(
                "accepted",
                "accepted",
                provider_message_id=str(message_id),
                http_status=http_status,
                raw_response=raw,
                provider_status=str(entry_status) if entry_status is not None else None,
            )
        detail = f"kavenegar error {code}"
        if code in PERMANENT_ERRORS:
            return SendResult("permanent", detail, http_status=http_status, raw_response=raw)
        return SendResult(
            "transient",
            detail,
            http_status=http_status,
            raw_response=raw,
            alert=ALERT_ERRORS.get(code),
        )

    async def poll(self, provider_message_ids: Sequence[str]) -> list[DeliveryReport]:
        if not provider_message_ids:
            return []
        try:
            http_status, body = await self._post(
                "sms/status.json", {"messageid": ",".join(provider_message_ids)}
            )
        except (aiohttp.ClientError, OSError, TimeoutError) as exc:
            raise ProviderUnavailable(redact(f"{type(exc).__name__}: {exc}", self._key)) from None
        raw = redact(body, self._key)
        parsed = _parse(raw)
        if parsed is None or parsed[0] != 200:
            raise ProviderUnavailable(f"status poll answered HTTP {http_status}: {raw[:200]}")
        reports: list[DeliveryReport] = []
        for entry in parsed[1]:
            if not isinstance(entry, dict):
                continue
            mid, code = entry.get("messageid"), entry.get("status")
            if (
                not isinstance(mid, int | str)
                or not isinstance(code, int)
                or isinstance(code, bool)
            ):
                continue
            status = DELIVERY_STATUS.get(code)
            if status is None:
                continue
            reports.append(
                DeliveryReport(str(mid), str(code), json.dumps(entry, ensure_ascii=False), status)
            )
        return reports


def _parse(raw: str) -> tuple[int, list[Any]] | None:
    """`(return.status, entries)` or None when the body is not Kavenegar's shape."""
    try:
        doc = json.loads(raw)
    except ValueError:
        return None
    if not isinstance(doc, dict):
        return None
    ret = doc.get("return")
    code = ret.get("status") if isinstance(ret, dict) else None
    if not isinstance(code, int) or isinstance(code, bool):
        return None
    entries = doc.get("entries")
    if isinstance(entries, dict):
        entries = [entries]
    return code, entries if isinstance(entries, list) else []
