"""The SMS outbox as the worker sees it: leases, attempts, delivery reports, polling.

A row is claimed by setting a lease in a committed transaction (`FOR UPDATE SKIP
LOCKED`, so two workers never take the same row); the send happens with no lock held;
the result is written only while `claimed_by` still names the worker.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from samad_ivr.storage.db import AnyConnection, Pool, connection, require_aware

FINAL_STATUSES: frozenset[str] = frozenset(
    {"delivered", "undelivered", "failed", "expired", "blocked"}
)

EXPIRE_STALE_SQL = """
UPDATE sms_outbox SET status = 'failed', status_reason = 'gave_up', final_at = $1,
       updated_at = $1, claimed_until = NULL, claimed_by = NULL
WHERE status = 'queued' AND created_at < $2 AND (claimed_until IS NULL OR claimed_until < $1)
RETURNING id, destination, attempts, last_error
"""

DUE_SQL = """
SELECT id, destination, body, category, attempts FROM sms_outbox
WHERE status = 'queued' AND next_attempt_at <= $1
  AND (claimed_until IS NULL OR claimed_until < $1)
ORDER BY next_attempt_at, id LIMIT $2
FOR UPDATE SKIP LOCKED
"""

# Serialises the cap check per destination across workers (the lock ends with the
# transaction); hashtextextended keeps it apart from the migration lock's key space.
LOCK_DESTINATION_SQL = "SELECT pg_advisory_xact_lock(hashtextextended('sms:' || $1, 0))"

# Each kind (category) has its own per-number budget: notices and sign-up codes never
# use up what a citizen's own tracking code and answers may send (issue 15, item 1).
USED_TODAY_SQL = """
SELECT count(*) FROM sms_outbox
WHERE destination = $1 AND id <> $2 AND category = $5
  AND (submitted_at >= $3 OR (status = 'queued' AND claimed_until >= $4))
"""

# The daily ceiling of non-essential SMS over every number bounds what an attacker (or a
# runaway job) can spend; one lock serialises its check across workers.
LOCK_CEILING_SQL = "SELECT pg_advisory_xact_lock(hashtextextended('sms:ceiling', 0))"
NONESSENTIAL_TODAY_SQL = """
SELECT (SELECT count(*) FROM sms_outbox
        WHERE category <> 'transactional' AND submitted_at >= $2 AND id <> $1)
     + (SELECT count(*) FROM sms_outbox
        WHERE status = 'queued' AND category <> 'transactional' AND claimed_until >= $3
          AND id <> $1)
"""

OPTED_OUT_SQL = "SELECT 1 FROM sms_optouts WHERE destination = $1"

BLOCK_SQL = """
UPDATE sms_outbox SET status = 'blocked', status_reason = $2, final_at = $3, updated_at = $3
WHERE id = $1
"""

LEASE_SQL = """
UPDATE sms_outbox SET claimed_until = $2, claimed_by = $3, provider = $4,
       attempts = attempts + 1, updated_at = $5
WHERE id = $1 RETURNING attempts
"""

INSERT_ATTEMPT_SQL = """
INSERT INTO sms_attempts (outbox_id, attempt_no, provider, worker, started_at, finished_at,
                          outcome, provider_message_id, http_status, detail, raw_response)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
ON CONFLICT (outbox_id, attempt_no) DO NOTHING
"""

# A DLR may already have moved the row on (it can arrive before Kannel's HTTP answer),
# so the status only changes if it is still 'queued'.
SUBMITTED_SQL = """
UPDATE sms_outbox SET
    status = CASE WHEN status = 'queued' THEN 'submitted' ELSE status END,
    provider_message_id = coalesce($3, provider_message_id),
    provider_status = coalesce(provider_status, $4),
    submitted_at = $5, next_poll_at = $6, last_error = NULL,
    claimed_until = NULL, claimed_by = NULL, updated_at = $5
WHERE id = $1 AND claimed_by = $2
"""

RETRY_SQL = """
UPDATE sms_outbox SET next_attempt_at = $3, last_error = $4,
       claimed_until = NULL, claimed_by = NULL, updated_at = $5
WHERE id = $1 AND claimed_by = $2 AND status = 'queued'
"""

FAILED_SQL = """
UPDATE sms_outbox SET status = 'failed', status_reason = $3, last_error = $4, final_at = $5,
       claimed_until = NULL, claimed_by = NULL, updated_at = $5
WHERE id = $1 AND claimed_by = $2 AND status = 'queued'
"""

BlockReason = Literal["not_mobile", "daily_cap", "opted_out", "daily_ceiling"]
ESSENTIAL = "transactional"  # tracking codes, answers, questions about a citizen's request


@dataclass(frozen=True, slots=True)
class ClaimedSms:
    id: int
    destination: str
    body: str
    attempt: int


@dataclass(frozen=True, slots=True)
class BlockedSms:
    id: int
    destination: str
    reason: BlockReason


@dataclass(frozen=True, slots=True)
class StaleSms:
    id: int
    destination: str
    attempts: int
    last_error: str | None


@dataclass(frozen=True, slots=True)
class Attempt:
    """What one call to the provider did, as stored in `sms_attempts`."""

    provider: str
    worker: str
    started_at: datetime
    finished_at: datetime
    outcome: Literal["accepted", "transient", "permanent"]
    detail: str
    provider_message_id: str | None = None
    http_status: int | None = None
    raw_response: str | None = None


@dataclass(frozen=True, slots=True)
class CapPolicy:
    limit: int  # per number and kind
    window_start: datetime  # submissions since then count against the limit
    nonessential_limit: int | None = None  # notices and sign-up codes, all numbers together


async def _over_budget(
    conn: AnyConnection, sms_id: int, dest: str, category: str, cap: CapPolicy, now: datetime
) -> BlockReason | None:
    """Whether one more SMS of this kind to `dest` would pass a cap or the ceiling."""
    if category != ESSENTIAL and cap.nonessential_limit is not None:
        await conn.execute(LOCK_CEILING_SQL)
        spent = await conn.fetchval(NONESSENTIAL_TODAY_SQL, sms_id, cap.window_start, now)
        if spent >= cap.nonessential_limit:
            return "daily_ceiling"
    await conn.execute(LOCK_DESTINATION_SQL, dest)
    used = await conn.fetchval(USED_TODAY_SQL, dest, sms_id, cap.window_start, now, category)
    return "daily_cap" if used >= cap.limit else None


class OutboxStore:
    def __init__(self, pool: Pool) -> None:
        self._pool = pool

    async def expire_stale(self, now: datetime, created_before: datetime) -> list[StaleSms]:
        """Give up on queued rows older than `created_before` that nobody is sending."""
        require_aware(now, "now")
        async with connection(self._pool) as conn:
            rows = await conn.fetch(EXPIRE_STALE_SQL, now, created_before)
        return [StaleSms(r["id"], r["destination"], r["attempts"], r["last_error"]) for r in rows]

    async def claim(
        self,
        *,
        worker: str,
        provider: str,
        now: datetime,
        lease_until: datetime,
        limit: int,
        cap: CapPolicy,
        is_mobile: Callable[[str], bool],
    ) -> tuple[list[ClaimedSms], list[BlockedSms]]:
        """Lease up to `limit` due rows to `worker`; block those that may not be sent."""
        require_aware(now, "now")
        claimed: list[ClaimedSms] = []
        blocked: list[BlockedSms] = []
        async with connection(self._pool) as conn, conn.transaction():
            for row in await conn.fetch(DUE_SQL, now, limit):
                dest = row["destination"]
                reason: BlockReason | None = None
                if not is_mobile(dest):
                    reason = "not_mobile"
                elif row["category"] == "notice" and await conn.fetchval(OPTED_OUT_SQL, dest):
                    reason = "opted_out"
                else:
                    reason = await _over_budget(conn, row["id"], dest, row["category"], cap, now)
                if reason is not None:
                    await conn.execute(BLOCK_SQL, row["id"], reason, now)
                    blocked.append(BlockedSms(row["id"], dest, reason))
                    continue
                attempt = await conn.fetchval(
                    LEASE_SQL, row["id"], lease_until, worker, provider, now
                )
                claimed.append(ClaimedSms(row["id"], dest, row["body"], int(attempt)))
        return claimed, blocked

    async def _finish(self, sql: str, sms: ClaimedSms, attempt: Attempt, *args: object) -> bool:
        a = attempt
        async with connection(self._pool) as conn, conn.transaction():
            await conn.execute(
                INSERT_ATTEMPT_SQL, sms.id, sms.attempt, a.provider, a.worker, a.started_at,
                a.finished_at, a.outcome, a.provider_message_id, a.http_status, a.detail,
                a.raw_response,
            )  # fmt: skip
            status = await conn.execute(sql, sms.id, a.worker, *args)
        return status.endswith(" 1")

    async def mark_submitted(
        self,
        sms: ClaimedSms,
        attempt: Attempt,
        *,
        provider_status: str | None,
        next_poll_at: datetime | None,
    ) -> bool:
        """Record an accepted send; False if the worker had lost its lease."""
        return await self._finish(
            SUBMITTED_SQL, sms, attempt, attempt.provider_message_id, provider_status,
            attempt.finished_at, next_poll_at,
        )  # fmt: skip

    async def mark_retry(
        self, sms: ClaimedSms, attempt: Attempt, next_attempt_at: datetime
    ) -> bool:
        return await self._finish(
            RETRY_SQL, sms, attempt, next_attempt_at, attempt.detail, attempt.finished_at
        )

    async def mark_failed(self, sms: ClaimedSms, attempt: Attempt, reason: str) -> bool:
        return await self._finish(
            FAILED_SQL, sms, attempt, reason, attempt.detail, attempt.finished_at
        )
