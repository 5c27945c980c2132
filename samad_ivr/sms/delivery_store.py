"""Delivery state after sending: provider reports (DLRs, polls) and the poll schedule.

Lives beside the worker rather than in `samad_ivr.storage` only because of file
ownership while the feature was built; it is an ordinary repository.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from samad_ivr.storage.db import Pool, connection
from samad_ivr.storage.requests import SmsStatus
from samad_ivr.storage.sms import FINAL_STATUSES

ReportSource = Literal["dlr", "poll"]

FIND_FOR_REPORT_SQL = """
SELECT id, status, attempts FROM sms_outbox
WHERE provider = $3
  AND (($1::bigint IS NOT NULL AND id = $1)
       OR ($1::bigint IS NULL AND provider_message_id = $2))
ORDER BY id LIMIT 1
FOR UPDATE
"""

APPLY_REPORT_SQL = """
UPDATE sms_outbox SET status = $2, provider_status = $3,
       provider_message_id = coalesce(provider_message_id, $4),
       final_at = CASE WHEN $5 THEN $6 ELSE final_at END,
       next_poll_at = CASE WHEN $5 THEN NULL ELSE next_poll_at END,
       updated_at = $6
WHERE id = $1
"""

INSERT_EVENT_SQL = """
INSERT INTO sms_delivery_events (outbox_id, source, raw_code, raw, status, applied, received_at)
VALUES ($1, $2, $3, $4, $5, $6, $7)
"""

CLAIM_POLLS_SQL = """
UPDATE sms_outbox SET next_poll_at = $3, polls = polls + 1
WHERE id IN (
    SELECT id FROM sms_outbox
    WHERE status = 'submitted' AND provider = $1 AND next_poll_at <= $2
      AND provider_message_id IS NOT NULL
    ORDER BY next_poll_at LIMIT $4 FOR UPDATE SKIP LOCKED)
RETURNING id, provider_message_id, submitted_at, polls
"""

SCHEDULE_POLL_SQL = "UPDATE sms_outbox SET next_poll_at = $2 WHERE id = $1 AND status = 'submitted'"

EXPIRE_UNREPORTED_SQL = """
UPDATE sms_outbox SET status = 'expired', status_reason = 'no final report', final_at = $2,
       next_poll_at = NULL, updated_at = $2
WHERE id = $1 AND status = 'submitted'
"""


@dataclass(frozen=True, slots=True)
class PollTarget:
    id: int
    provider_message_id: str
    submitted_at: datetime
    polls: int


@dataclass(frozen=True, slots=True)
class ReportOutcome:
    outbox_id: int
    status: SmsStatus  # the row's status after the report
    applied: bool  # False when the row was already final


class DeliveryStore:
    def __init__(self, pool: Pool) -> None:
        self._pool = pool

    async def apply_report(
        self,
        *,
        provider: str,
        outbox_id: int | None,
        provider_message_id: str | None,
        source: ReportSource,
        raw_code: str,
        raw: str,
        status: SmsStatus,
        now: datetime,
    ) -> ReportOutcome | None:
        """Apply a delivery report to the message it names (our id first, else the
        provider's id). None when no sent message matches; nothing is written then."""
        async with connection(self._pool) as conn, conn.transaction():
            row = await conn.fetchrow(FIND_FOR_REPORT_SQL, outbox_id, provider_message_id, provider)
            if row is None or row["attempts"] == 0:
                return None
            current: SmsStatus = row["status"]
            # Final states stay final; intermediate reports still refresh the raw code.
            applied = current not in FINAL_STATUSES
            new = current
            if applied:
                new = "submitted" if status == "queued" else status
                await conn.execute(
                    APPLY_REPORT_SQL, row["id"], new, raw_code, provider_message_id,
                    new in FINAL_STATUSES, now,
                )  # fmt: skip
            await conn.execute(
                INSERT_EVENT_SQL, row["id"], source, raw_code, raw, status, applied, now
            )
        return ReportOutcome(row["id"], new, applied)

    async def claim_polls(
        self, provider: str, now: datetime, hold_until: datetime, limit: int
    ) -> list[PollTarget]:
        """Submitted messages due for a status poll; held until `hold_until` so that
        another instance does not poll them at the same time."""
        async with connection(self._pool) as conn:
            rows = await conn.fetch(CLAIM_POLLS_SQL, provider, now, hold_until, limit)
        return [
            PollTarget(r["id"], r["provider_message_id"], r["submitted_at"], r["polls"])
            for r in rows
        ]

    async def schedule_poll(self, outbox_id: int, at: datetime) -> None:
        async with connection(self._pool) as conn:
            await conn.execute(SCHEDULE_POLL_SQL, outbox_id, at)

    async def expire_unreported(self, outbox_id: int, now: datetime) -> bool:
        async with connection(self._pool) as conn:
            status = await conn.execute(EXPIRE_UNREPORTED_SQL, outbox_id, now)
        return str(status).endswith(" 1")
