"""The default provider for local runs: nothing leaves the machine."""

from __future__ import annotations

import logging

from samad_ivr.sms.provider import OutgoingSms, SendResult, mask_number
from samad_ivr.sms.text import sms_parts

log = logging.getLogger(__name__)


class LogProvider:
    @property
    def name(self) -> str:
        return "log"

    async def send(self, sms: OutgoingSms) -> SendResult:
        parts = sms_parts(sms.body)
        # The body may hold a tracking code; it is in the database, not in the log.
        log.info(
            "sms %s to %s not sent (log provider): %s %s part(s)",
            sms.outbox_id,
            mask_number(sms.destination),
            parts.encoding,
            parts.parts,
        )
        return SendResult("accepted", "logged", provider_message_id=f"log-{sms.outbox_id}")
