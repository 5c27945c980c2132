"""Requests as a citizen sees them: answered, with attachments, with personal data in
every free-text column (the Open311 and /status tests check none of it leaks)."""

from __future__ import annotations

import asyncio
import hashlib
import itertools
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

from lifecycle.factories import make_agency, make_center, make_request

from samad_ivr.domain.tracking import verhoeff_check_digit
from samad_ivr.storage.attachments import AttachmentStore
from samad_ivr.storage.db import Pool

_serial = itertools.count(1)

# Personal data planted in every free-text place a request has.
CITIZEN_NAME = "زهرا کاظمی‌نژاد"
OFFICIAL_NAME = "مهندس جمشید فرهادپور"
CITIZEN_MOBILE = "+989181112233"
OTHER_NUMBER = "09127778899"
PERSONAL = (CITIZEN_NAME, OFFICIAL_NAME, CITIZEN_MOBILE, OTHER_NUMBER, "9181112233", "7778899")
SUMMARY = f"خانم {CITIZEN_NAME} با شمارهٔ {OTHER_NUMBER} دربارهٔ وام مسکن تماس گرفت."
DESK_NOTE = f"پیگیری با {OFFICIAL_NAME}، شمارهٔ همراه {CITIZEN_MOBILE}"
ANSWER = f"خانم {CITIZEN_NAME} گرامی، پرونده با کارشناس {OFFICIAL_NAME} ({OTHER_NUMBER}) بررسی شد."
PDF = b"%PDF-1.4\n% a tiny test file\n"


def tracking_code(n: int) -> str:
    payload = f"{400000000 + n:09d}"
    return payload + verhoeff_check_digit(payload)


@dataclass(frozen=True, slots=True)
class CitizenRequest:
    id: int
    code: str
    center_id: int
    agency_id: int


async def staff_user(pool: Pool, center_id: int, agency_id: int) -> int:
    async with pool.acquire() as conn:
        return int(
            await conn.fetchval(
                """INSERT INTO users (username, full_name, role, center_id, agency_id,
                                      password_hash)
                   VALUES ($1, $2, 'agency_staff', $3, $4, 'x') RETURNING id""",
                f"staff-{next(_serial)}", OFFICIAL_NAME, center_id, agency_id,
            )
        )  # fmt: skip


async def citizen_request(
    pool: Pool,
    *,
    center: str = "hamedan",
    agency: str = "ادارهٔ کل راه و شهرسازی",
    status: str = "answered",
    topic: str = "housing",
    caller: str = CITIZEN_MOBILE,
    created_at: datetime | None = None,
    due_on: date | None = date(2026, 12, 10),
    answer: str | None = ANSWER,
    attachment_store: AttachmentStore | None = None,
) -> CitizenRequest:
    """A request of `center` carrying personal data in its summary, history notes and
    answer, moved to `status` with a deadline; an answer (and a PDF) when given."""
    center_id = await make_center(pool, center)
    async with pool.acquire() as conn:
        agency_id = await conn.fetchval(
            "SELECT id FROM agencies WHERE center_id = $1 AND name = $2", center_id, agency
        )
    if agency_id is None:
        agency_id = await make_agency(pool, center_id, agency)
    request_id = await make_request(
        pool, center_id, caller=caller, summary=SUMMARY, agency_id=agency_id, started_at=created_at
    )
    code = tracking_code(request_id)
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute(
            """UPDATE requests SET tracking_code = $2, status = $3, topic = $4,
                      deadline_start = $5, deadline_days = 10, deadline_mode = 'calendar',
                      due_on = $6, created_at = COALESCE($7, created_at)
               WHERE id = $1""",
            request_id, code, status, topic,
            None if due_on is None else due_on - timedelta(days=10), due_on, created_at,
        )  # fmt: skip
        await conn.execute(
            """INSERT INTO request_history (request_id, at, event, action, from_status,
                                            to_status, job, note)
               VALUES ($1, COALESCE($2, now()) + interval '1 hour', 'transition', 'assign',
                       'registered', $3, 'test_support', $4)""",
            request_id, created_at, status, DESK_NOTE,
        )  # fmt: skip
        if answer is not None:
            user_id = await staff_user(pool, center_id, agency_id)
            answer_id = await conn.fetchval(
                """INSERT INTO request_answers (request_id, agency_id, user_id, body)
                   VALUES ($1, $2, $3, $4) RETURNING id""",
                request_id, agency_id, user_id, answer,
            )  # fmt: skip
            if attachment_store is not None:
                await _attach(conn, attachment_store, request_id, answer_id)
    return CitizenRequest(request_id, code, center_id, agency_id)


async def _attach(conn: object, store: AttachmentStore, request_id: int, answer_id: int) -> None:
    body = PDF + str(answer_id).encode()
    sha = hashlib.sha256(body).hexdigest()
    path: Path = store.path_of(sha)
    await asyncio.to_thread(path.parent.mkdir, parents=True, exist_ok=True)
    await asyncio.to_thread(path.write_bytes, body)
    await conn.execute(  # type: ignore[attr-defined]
        """INSERT INTO answer_attachments (answer_id, request_id, filename, content_type,
                                           size_bytes, sha256)
           VALUES ($1, $2, $3, 'application/pdf', $4, $5)""",
        answer_id, request_id, "نامهٔ پاسخ.pdf", len(body), sha,
    )  # fmt: skip
