"""Status by phone in PostgreSQL: one row per code typed, the limits, the answer's resend.

The limits are counted here so every FastAGI instance of a center agrees: an attempt
takes a transaction-scoped advisory lock on its caller bucket, counts, decides and
writes its row before the lock is released, so two calls from one number on two
instances cannot both take the tenth attempt.  Each method is one short transaction;
the handlers hold no connection while the caller listens or types.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from samad_ivr.domain.lifecycle import Status
from samad_ivr.domain.phone import normalise_caller_id
from samad_ivr.domain.status_line import (
    Attempts,
    FoundRequest,
    Outcome,
    StatusLimits,
    code_of,
    limit_reached,
)
from samad_ivr.sms.templates import TemplateRepository
from samad_ivr.sms.text import render_request_answered
from samad_ivr.storage.db import Pool, PoolConnection, connection, require_aware
from samad_ivr.storage.requests import INSERT_SMS_SQL

__all__ = ["LookupResult", "Resend", "StatusLookupRepository", "StoredLookup"]

log = logging.getLogger(__name__)

SMS_TEMPLATE = "request_answered"
# A request whose answer is current: the agency answered this round (not sent back).
_ANSWERED_STATUSES = frozenset({Status.ANSWERED, Status.CLOSED, Status.REOPENED})

LOCK_BUCKET_SQL = "SELECT pg_advisory_xact_lock(hashtextextended('status:' || $1, 0))"
COUNTS_SQL = """
SELECT
  (SELECT count(*) FROM status_lookups
    WHERE call_uniqueid = $1 AND outcome NOT LIKE 'limit%') AS this_call,
  (SELECT count(*) FROM status_lookups
    WHERE caller_bucket = $2 AND at > $3 AND outcome NOT LIKE 'limit%') AS caller,
  (SELECT count(*) FROM status_lookups
    WHERE center_id IS NOT DISTINCT FROM (SELECT id FROM centers WHERE code = $4)
      AND at > $3 AND outcome = 'not_found') AS center_not_found
"""
FIND_SQL = """
SELECT r.id, r.status, r.due_on, r.caller_e164, r.created_at,
       COALESCE(ce.timezone, 'Asia/Tehran') AS timezone,
       (SELECT h.at FROM request_history h
         WHERE h.request_id = r.id AND h.event = 'transition'
         ORDER BY h.id DESC LIMIT 1) AS last_change,
       EXISTS (SELECT 1 FROM request_answers a WHERE a.request_id = r.id) AS has_answer
FROM requests r LEFT JOIN centers ce ON ce.id = r.center_id
WHERE r.tracking_code = $1
"""
INSERT_LOOKUP_SQL = """
INSERT INTO status_lookups (call_uniqueid, center_id, caller_bucket, typed, outcome, valid,
                            found, request_id, at)
VALUES ($1, (SELECT id FROM centers WHERE code = $2), $3, $4, $5, $6, $7, $8, $9)
"""
FOUND_ON_CALL_SQL = """
SELECT EXISTS (SELECT 1 FROM status_lookups
               WHERE call_uniqueid = $1 AND request_id = $2 AND outcome = 'found')
"""
ANSWER_SQL = """
SELECT r.tracking_code, r.caller_e164, r.status, a.created_at AS answered_at,
       ag.name AS agency, COALESCE(ce.timezone, 'Asia/Tehran') AS timezone
FROM requests r
JOIN LATERAL (SELECT agency_id, created_at FROM request_answers
              WHERE request_id = r.id ORDER BY id DESC LIMIT 1) a ON true
JOIN agencies ag ON ag.id = a.agency_id
LEFT JOIN centers ce ON ce.id = r.center_id
WHERE r.id = $1
"""
INSERT_RESEND_SQL = """
INSERT INTO status_answer_resends (request_id, local_day, call_uniqueid, at)
VALUES ($1, $2, $3, $4) ON CONFLICT (request_id, local_day) DO NOTHING RETURNING id
"""
RESEND_SMS_SQL = "UPDATE status_answer_resends SET sms_id = $2 WHERE id = $1"
CALL_LOOKUPS_SQL = """
SELECT call_uniqueid, typed, outcome, request_id, at FROM status_lookups
WHERE call_uniqueid = ANY($1::text[]) ORDER BY call_uniqueid, id
"""


@dataclass(frozen=True, slots=True)
class LookupResult:
    outcome: Outcome
    found: FoundRequest | None
    attempts_left: int  # in this call, after this attempt


class Resend(StrEnum):
    SENT = "sent"
    ALREADY_TODAY = "already"
    UNAVAILABLE = "unavailable"  # no answer, no mobile, or not looked up on this call


@dataclass(frozen=True, slots=True)
class StoredLookup:
    """One code typed on a call, as the national search shows it."""

    call_uniqueid: str
    typed: str
    outcome: Outcome
    request_id: int | None
    at: datetime


class StatusLookupRepository:
    def __init__(
        self,
        pool: Pool,
        *,
        limits: StatusLimits,
        center_code: str,
        templates: TemplateRepository,
    ) -> None:
        self._pool = pool
        self._limits = limits
        self._center_code = center_code
        self._templates = templates

    async def look_up(
        self, *, call_uniqueid: str, caller_bucket: str, typed: str, now: datetime
    ) -> LookupResult:
        """Count, decide and store one attempt; raises `StorageUnavailable` on an outage."""
        require_aware(now, "now")
        code = code_of(typed)
        async with connection(self._pool) as conn, conn.transaction():
            await conn.execute(LOCK_BUCKET_SQL, caller_bucket)
            row = await conn.fetchrow(
                COUNTS_SQL, call_uniqueid, caller_bucket, now - timedelta(hours=1),
                self._center_code,
            )  # fmt: skip
            assert row is not None
            attempts = Attempts(row["this_call"], row["caller"], row["center_not_found"])
            outcome = limit_reached(attempts, self._limits)
            found = None
            if outcome is None and code is None:
                outcome = Outcome.INVALID
            elif outcome is None:
                found = await _find(conn, code) if code is not None else None
                outcome = Outcome.FOUND if found is not None else Outcome.NOT_FOUND
            await conn.execute(
                INSERT_LOOKUP_SQL, call_uniqueid, self._center_code, caller_bucket, typed,
                outcome.value, code is not None, found is not None,
                found.request_id if found else None, now,
            )  # fmt: skip
        used = attempts.this_call + (0 if outcome.refused else 1)
        return LookupResult(outcome, found, max(0, self._limits.per_call - used))

    async def resend_answer(self, *, call_uniqueid: str, request_id: int, now: datetime) -> Resend:
        """Queue the answer's SMS again to the request's own number, once per local day of
        its center; only for a request this call found.  The text is the admin's
        `request_answered` template, as when the agency answered."""
        require_aware(now, "now")
        template = await self._templates.body_of(SMS_TEMPLATE)
        async with connection(self._pool) as conn, conn.transaction():
            if not await conn.fetchval(FOUND_ON_CALL_SQL, call_uniqueid, request_id):
                return Resend.UNAVAILABLE
            row = await conn.fetchrow(ANSWER_SQL, request_id)
            if row is None or Status(row["status"]) not in _ANSWERED_STATUSES:
                return Resend.UNAVAILABLE
            caller = row["caller_e164"]
            if caller is None or not normalise_caller_id(caller).is_mobile:
                return Resend.UNAVAILABLE
            tz = ZoneInfo(row["timezone"])
            day = now.astimezone(tz).date()
            resend_id = await conn.fetchval(INSERT_RESEND_SQL, request_id, day, call_uniqueid, now)
            if resend_id is None:
                return Resend.ALREADY_TODAY
            text = render_request_answered(
                template, row["tracking_code"], row["agency"], row["answered_at"], tz
            )
            sms_id = await conn.fetchval(INSERT_SMS_SQL, request_id, caller, text)
            await conn.execute(RESEND_SMS_SQL, resend_id, sms_id)
        log.info("answer of request %s queued again by SMS (outbox %s)", request_id, sms_id)
        return Resend.SENT

    async def of_calls(self, uniqueids: list[str]) -> dict[str, list[StoredLookup]]:
        """The codes typed on each of these calls, in order (national search)."""
        if not uniqueids:
            return {}
        async with connection(self._pool) as conn:
            rows = await conn.fetch(CALL_LOOKUPS_SQL, uniqueids)
        out: dict[str, list[StoredLookup]] = {}
        for r in rows:
            out.setdefault(r["call_uniqueid"], []).append(
                StoredLookup(
                    r["call_uniqueid"], r["typed"], Outcome(r["outcome"]), r["request_id"], r["at"]
                )
            )
        return out


async def _find(conn: PoolConnection, code: str) -> FoundRequest | None:
    row = await conn.fetchrow(FIND_SQL, code)
    if row is None:
        return None
    status = Status(row["status"])
    caller = row["caller_e164"]
    answered = bool(row["has_answer"]) and status in _ANSWERED_STATUSES
    changed = row["last_change"] or row["created_at"]
    return FoundRequest(
        request_id=row["id"],
        status=status,
        last_change=changed.astimezone(ZoneInfo(row["timezone"])).date(),
        due_on=row["due_on"],
        answered=answered,
        answer_by_sms=answered and caller is not None and normalise_caller_id(caller).is_mobile,
    )
