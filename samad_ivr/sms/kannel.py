"""Kannel's HTTP sendsms, with a DLR URL that points back at our web app.

Our outbox id travels in the DLR URL, so every report names the message it is about
even before Kannel's answer reaches us. Kannel has no idempotency key of its own.
"""

from __future__ import annotations

import asyncio
import logging
from urllib.parse import quote

import aiohttp

from samad_ivr.sms.config import KannelSettings
from samad_ivr.sms.provider import OutgoingSms, SendResult, mask_number, redact
from samad_ivr.sms.text import sms_parts

log = logging.getLogger(__name__)

# Kannel fills these in when it calls the DLR URL: %d report type, %F the SMSC's
# message id, %A the SMSC's raw answer, %i the SMSC id.
DLR_PLACEHOLDERS = "type=%d&fid=%F&answer=%A&smsc=%i"
DLR_MASK = 31  # delivered, undelivered, buffered, SMSC ack, SMSC nack


def dlr_url(public_base_url: str, token: str, outbox_id: int) -> str:
    """The per-message DLR URL (its placeholders are Kannel's, not ours)."""
    base = public_base_url.rstrip("/")
    return f"{base}/sms/kannel/dlr/{quote(token, safe='')}?id={outbox_id}&{DLR_PLACEHOLDERS}"


class KannelProvider:
    def __init__(
        self,
        session: aiohttp.ClientSession,
        settings: KannelSettings,
        *,
        sender: str | None,
        public_base_url: str,
        callback_token: str,
        timeout: float,
    ) -> None:
        self._session = session
        self._settings = settings
        self._sender = sender
        self._base = public_base_url
        self._token = callback_token
        self._timeout = timeout

    @property
    def name(self) -> str:
        return "kannel"

    def _params(self, sms: OutgoingSms) -> dict[str, str]:
        s = self._settings
        params = {
            "username": s.username,
            "password": s.password.value,
            "to": sms.destination,
            "text": sms.body,
            "charset": "UTF-8",
            "coding": "2" if sms_parts(sms.body).encoding == "ucs2" else "0",
            "dlr-mask": str(DLR_MASK),
            "dlr-url": dlr_url(self._base, self._token, sms.outbox_id),
        }
        if self._sender:
            params["from"] = self._sender
        if s.smsc_id:
            params["smsc"] = s.smsc_id
        return params

    async def send(self, sms: OutgoingSms) -> SendResult:
        secrets = (self._settings.password.value, self._token)
        try:
            async with asyncio.timeout(self._timeout):
                async with self._session.get(
                    self._settings.sendsms_url, params=self._params(sms)
                ) as resp:
                    status = resp.status
                    raw = await resp.text(errors="replace")
        except (aiohttp.ClientError, OSError, TimeoutError) as exc:
            # str(exc) of some aiohttp errors contains the URL with our password.
            detail = redact(f"{type(exc).__name__}: {exc}", *secrets)
            log.warning("kannel send of sms %s failed: %s", sms.outbox_id, detail)
            return SendResult("transient", detail)
        raw = redact(raw.strip(), *secrets)
        log.info(
            "kannel answered %s for sms %s to %s: %s",
            status,
            sms.outbox_id,
            mask_number(sms.destination),
            raw[:80],
        )
        if 200 <= status < 300 and (raw.startswith("0:") or raw.startswith("3:")):
            return SendResult("accepted", raw, http_status=status, raw_response=raw)
        if status in (401, 403):
            return SendResult(
                "transient",
                "kannel refused our credentials",
                http_status=status,
                raw_response=raw,
                alert="Kannel refused the sendsms user: check SAMAD_SMS_KANNEL_USER/PASSWORD",
            )
        if 400 <= status < 500:
            return SendResult(
                "permanent", "kannel rejected the message", http_status=status, raw_response=raw
            )
        # 5xx, or a 2xx we do not understand: try again later.
        return SendResult(
            "transient", "unexpected kannel answer", http_status=status, raw_response=raw
        )
