"""Citizen requests, their tracking codes and the SMS outbox rows that announce them."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

import asyncpg

from samad_ivr.storage.db import Pool, PoolConnection, StorageError, connection

RequestStatus = Literal["registered", "assigned", "answered", "closed", "escalated"]
SmsStatus = Literal[
    "queued", "submitted", "delivered", "undelivered", "failed", "expired", "blocked"
]

MAX_CODE_ATTEMPTS = 5
_TRACKING_CODE_RE = re.compile(r"[0-9]{10}")
_E164_RE = re.compile(r"\+[1-9][0-9]{6,14}")

# Locking the call row serialises concurrent register() calls for one call (post-call
# and message paths may both try): the second waits, then sees the first one's request.
LOCK_CALL_SQL = "SELECT id FROM calls WHERE id = $1 FOR UPDATE"

EXISTING_FOR_CALL_SQL = """
SELECT r.id, r.tracking_code, r.call_id, r.created_at,
       (SELECT min(s.id) FROM sms_outbox s WHERE s.request_id = r.id) AS sms_id
FROM requests r WHERE r.call_id = $1
"""

# A taken tracking code yields no row and the caller draws another code.
INSERT_REQUEST_SQL = """
INSERT INTO requests (tracking_code, call_id, caller_e164, official_id, agency_id)
VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (tracking_code) DO NOTHING
RETURNING id, created_at
"""

INSERT_SMS_SQL = """
INSERT INTO sms_outbox (request_id, destination, body) VALUES ($1, $2, $3)
RETURNING id
"""

GET_BY_CODE_SQL = """
SELECT id, tracking_code, call_id, caller_e164, official_id, agency_id, status, created_at
FROM requests WHERE tracking_code = $1
"""

OUTBOX_FOR_SQL = """
SELECT id, request_id, destination, body, status, created_at, updated_at
FROM sms_outbox WHERE request_id = $1
ORDER BY id
"""


class RequestError(StorageError):
    """Base of the request repository's errors."""


class UnknownCall(RequestError, LookupError):
    """register() was given a call id that does not exist."""


class TrackingCodeExhausted(RequestError):
    """Every freshly drawn tracking code was already taken."""


@dataclass(frozen=True, slots=True)
class RegisteredRequest:
    id: int
    tracking_code: str
    call_id: int
    created_at: datetime
    sms_id: int | None
    created: bool  # False when the call already had a request


@dataclass(frozen=True, slots=True)
class RequestRow:
    id: int
    tracking_code: str
    call_id: int
    caller_e164: str | None
    official_id: int | None
    agency_id: int | None
    status: RequestStatus
    created_at: datetime


@dataclass(frozen=True, slots=True)
class OutboxRow:
    id: int
    request_id: int | None
    destination: str
    body: str
    status: SmsStatus
    created_at: datetime
    updated_at: datetime


def _check_e164(value: str | None, name: str) -> None:
    if value is not None and not _E164_RE.fullmatch(value):
        raise ValueError(f"{name} must be an E.164 number, got {value!r}")


class RequestRepository:
    def __init__(self, pool: Pool) -> None:
        self._pool = pool

    async def register(
        self,
        call_id: int,
        caller_e164: str | None,
        official_id: int | None,
        agency_id: int | None,
        sms_destination: str | None,
        sms_body_template: Callable[[str], str],
        new_code: Callable[[], str],
    ) -> RegisteredRequest:
        """Register the call's request once, with a fresh tracking code and its SMS.

        Idempotent per call: if the call already has a request it is returned with
        `created=False` and nothing is inserted. When `sms_destination` is given, one
        queued `sms_outbox` row with `sms_body_template(code)` is inserted in the same
        transaction. Raises `UnknownCall`, `TrackingCodeExhausted` or `ValueError`.
        """
        _check_e164(caller_e164, "caller_e164")
        _check_e164(sms_destination, "sms_destination")
        async with connection(self._pool) as conn, conn.transaction():
            if await conn.fetchval(LOCK_CALL_SQL, call_id) is None:
                raise UnknownCall(f"no call with id {call_id}")
            existing = await conn.fetchrow(EXISTING_FOR_CALL_SQL, call_id)
            if existing is not None:
                return RegisteredRequest(
                    id=existing["id"],
                    tracking_code=existing["tracking_code"],
                    call_id=existing["call_id"],
                    created_at=existing["created_at"],
                    sms_id=existing["sms_id"],
                    created=False,
                )
            code, inserted = await self._insert_with_fresh_code(
                conn, new_code, call_id, caller_e164, official_id, agency_id
            )
            sms_id: int | None = None
            if sms_destination is not None:
                sms_id = int(
                    await conn.fetchval(
                        INSERT_SMS_SQL, inserted["id"], sms_destination, sms_body_template(code)
                    )
                )
            return RegisteredRequest(
                id=inserted["id"],
                tracking_code=code,
                call_id=call_id,
                created_at=inserted["created_at"],
                sms_id=sms_id,
                created=True,
            )

    @staticmethod
    async def _insert_with_fresh_code(
        conn: PoolConnection,
        new_code: Callable[[], str],
        call_id: int,
        caller_e164: str | None,
        official_id: int | None,
        agency_id: int | None,
    ) -> tuple[str, asyncpg.Record]:
        taken: list[str] = []
        for _ in range(MAX_CODE_ATTEMPTS):
            code = new_code()
            if not _TRACKING_CODE_RE.fullmatch(code):
                raise ValueError(f"tracking code must be 10 digits, got {code!r}")
            row = await conn.fetchrow(
                INSERT_REQUEST_SQL, code, call_id, caller_e164, official_id, agency_id
            )
            if row is not None:
                return code, row
            taken.append(code)
        raise TrackingCodeExhausted(
            f"{MAX_CODE_ATTEMPTS} tracking codes in a row were taken: {', '.join(taken)}"
        )

    async def get_by_code(self, code: str) -> RequestRow | None:
        async with connection(self._pool) as conn:
            r = await conn.fetchrow(GET_BY_CODE_SQL, code)
        if r is None:
            return None
        return RequestRow(
            id=r["id"],
            tracking_code=r["tracking_code"],
            call_id=r["call_id"],
            caller_e164=r["caller_e164"],
            official_id=r["official_id"],
            agency_id=r["agency_id"],
            status=r["status"],
            created_at=r["created_at"],
        )

    async def outbox_for(self, request_id: int) -> list[OutboxRow]:
        async with connection(self._pool) as conn:
            rows = await conn.fetch(OUTBOX_FOR_SQL, request_id)
        return [
            OutboxRow(
                id=r["id"],
                request_id=r["request_id"],
                destination=r["destination"],
                body=r["body"],
                status=r["status"],
                created_at=r["created_at"],
                updated_at=r["updated_at"],
            )
            for r in rows
        ]
