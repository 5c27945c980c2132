"""Status on the web in PostgreSQL: the tries, their limits, and what the citizen sees.

Every try with a well-formed pair is one short transaction: advisory locks on the
client's address and on the code (always in that order, so two tries never wait on
each other in a circle), the counts, the request's number, the row of this try.  A
wrong code and wrong digits run the same statements, so neither the answer nor its
time tells them apart.  What a matching pair shows is read only then, and is only what
the citizen may see: no name, no number, no desk note, no recording.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from samad_ivr.domain.lifecycle import Status
from samad_ivr.domain.status_web import StatusWebLimits, Tries, WebOutcome, digits_match, refusal
from samad_ivr.storage.casefile import AttachmentMeta
from samad_ivr.storage.db import Pool, PoolConnection, connection, require_aware

__all__ = ["CitizenAnswer", "CitizenView", "StatusWebRepository", "WebLookup"]

# Like status by phone: an answer is shown while it is the current round's.
ANSWERED_STATUSES = frozenset({Status.ANSWERED, Status.CLOSED, Status.REOPENED})
KEEP_TRIES = timedelta(days=2)
_PRUNE_BATCH = 100

LOCK_SQL = "SELECT pg_advisory_xact_lock(hashtextextended('status-web:' || $1, 0))"
COUNTS_SQL = """
SELECT
  (SELECT count(*) FROM status_web_attempts WHERE address = $1 AND at > $3) AS address,
  (SELECT count(*) FROM status_web_attempts
    WHERE code = $2 AND NOT matched AND at > $4) AS code_failures
"""
NUMBER_SQL = "SELECT id, caller_e164 FROM requests WHERE tracking_code = $1"
INSERT_SQL = """
INSERT INTO status_web_attempts (address, code, matched, at) VALUES ($1, $2, $3, $4)
"""
PRUNE_SQL = """
DELETE FROM status_web_attempts WHERE id IN (
  SELECT id FROM status_web_attempts WHERE at < $1 ORDER BY at LIMIT $2)
"""
VIEW_SQL = """
SELECT r.tracking_code, r.status, r.created_at, r.due_on,
       COALESCE(c.timezone, 'Asia/Tehran') AS timezone,
       (SELECT h.at FROM request_history h WHERE h.request_id = r.id
         ORDER BY h.id DESC LIMIT 1) AS last_change
FROM requests r LEFT JOIN centers c ON c.id = r.center_id
WHERE r.id = $1
"""
ANSWER_SQL = """
SELECT a.id, a.body, a.created_at, ag.name AS agency
FROM request_answers a JOIN agencies ag ON ag.id = a.agency_id
WHERE a.request_id = $1 ORDER BY a.id DESC LIMIT 1
"""
ATTACHMENTS_SQL = """
SELECT id, answer_id, filename, content_type, size_bytes, sha256, created_at
FROM answer_attachments WHERE answer_id = $1 ORDER BY id
"""
ATTACHMENT_SQL = """
SELECT id, answer_id, filename, content_type, size_bytes, sha256, created_at
FROM answer_attachments WHERE id = $1
"""


@dataclass(frozen=True, slots=True)
class CitizenAnswer:
    agency: str
    body: str
    answered_at: datetime
    attachments: tuple[AttachmentMeta, ...]


@dataclass(frozen=True, slots=True)
class CitizenView:
    """Everything /status shows about a request."""

    tracking_code: str
    status: Status
    registered_at: datetime
    last_change: datetime
    due_on: date | None
    tz: ZoneInfo
    answer: CitizenAnswer | None


@dataclass(frozen=True, slots=True)
class WebLookup:
    outcome: WebOutcome
    view: CitizenView | None = None


class StatusWebRepository:
    def __init__(self, pool: Pool, limits: StatusWebLimits) -> None:
        self._pool = pool
        self._limits = limits

    async def look_up(self, *, code: str, digits: str, address: str, now: datetime) -> WebLookup:
        """Count, check and store one try of a well-formed pair."""
        require_aware(now, "now")
        async with connection(self._pool) as conn, conn.transaction():
            await conn.execute(LOCK_SQL, "address:" + address)
            await conn.execute(LOCK_SQL, "code:" + code)
            counts = await conn.fetchrow(
                COUNTS_SQL, address, code, now - timedelta(hours=1), now - timedelta(days=1)
            )
            assert counts is not None
            if refusal(Tries(counts["address"], counts["code_failures"]), self._limits):
                return WebLookup(WebOutcome.LIMITED)
            row = await conn.fetchrow(NUMBER_SQL, code)
            matched = digits_match(None if row is None else row["caller_e164"], digits)
            await conn.execute(INSERT_SQL, address, code, matched, now)
            await conn.execute(PRUNE_SQL, now - KEEP_TRIES, _PRUNE_BATCH)
            if not matched or row is None:
                return WebLookup(WebOutcome.NO_MATCH)
            view = await _view(conn, row["id"])
        return WebLookup(WebOutcome.SHOWN, view)

    async def attachment(self, attachment_id: int) -> AttachmentMeta | None:
        async with connection(self._pool) as conn:
            row = await conn.fetchrow(ATTACHMENT_SQL, attachment_id)
        return None if row is None else AttachmentMeta(**dict(row))


async def _view(conn: PoolConnection, request_id: int) -> CitizenView:
    r = await conn.fetchrow(VIEW_SQL, request_id)
    assert r is not None
    status = Status(r["status"])
    answer = None
    if status in ANSWERED_STATUSES:
        a = await conn.fetchrow(ANSWER_SQL, request_id)
        if a is not None:
            files = await conn.fetch(ATTACHMENTS_SQL, a["id"])
            answer = CitizenAnswer(
                agency=a["agency"],
                body=a["body"],
                answered_at=a["created_at"],
                attachments=tuple(AttachmentMeta(**dict(f)) for f in files),
            )
    return CitizenView(
        tracking_code=r["tracking_code"],
        status=status,
        registered_at=r["created_at"],
        last_change=r["last_change"] or r["created_at"],
        due_on=r["due_on"],
        tz=ZoneInfo(r["timezone"]),
        answer=answer,
    )
