"""An agency's answer: its text, its files and the citizen's SMS in one transaction.

`AnswerWriter.answer` moves the request to `answered` through `RequestLifecycle.act`;
the answer row, the attachment rows, the files' final names and the SMS row are all
written inside that locked transaction, so a refused or failed answer leaves no row.
Files are content-addressed and shared by equal uploads, so a file this save created
is removed after a failure only when no committed row names it; both that check and
the placing of a file hold a transaction-scoped advisory lock on the file's hash.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from samad_ivr.domain.lifecycle import Action
from samad_ivr.domain.phone import normalise_caller_id
from samad_ivr.sms.templates import TemplateRepository
from samad_ivr.sms.text import render_request_answered
from samad_ivr.storage.accounts import User
from samad_ivr.storage.attachments import AttachmentStore, StagedFile
from samad_ivr.storage.db import Pool, PoolConnection, connection
from samad_ivr.storage.lifecycle import Actor, LifecycleError, RequestLifecycle, RequestState
from samad_ivr.storage.requests import INSERT_SMS_SQL

__all__ = ["MAX_ANSWER_CHARS", "AnswerWriter", "NotTheAgencysRequest", "SavedAnswer"]

log = logging.getLogger(__name__)

MAX_ANSWER_CHARS = 10_000  # the CHECK on request_answers.body
SMS_TEMPLATE = "request_answered"

LOCK_HASH_SQL = "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))"
REFERENCED_SQL = "SELECT EXISTS (SELECT 1 FROM answer_attachments WHERE sha256 = $1)"
AGENCY_SQL = """
SELECT a.name, COALESCE(ce.timezone, 'Asia/Tehran') AS timezone
FROM agencies a LEFT JOIN centers ce ON ce.id = a.center_id WHERE a.id = $1
"""
INSERT_ANSWER_SQL = """
INSERT INTO request_answers (request_id, agency_id, user_id, body, created_at)
VALUES ($1, $2, $3, $4, $5) RETURNING id
"""
INSERT_ATTACHMENT_SQL = """
INSERT INTO answer_attachments (answer_id, request_id, filename, content_type, size_bytes,
                                sha256, created_at)
VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id
"""


class NotTheAgencysRequest(LifecycleError, LookupError):
    """The request is not (or no longer) assigned to the answering user's agency."""

    message_fa = "این درخواست به دستگاه شما ارجاع نشده است."


@dataclass(frozen=True, slots=True)
class SavedAnswer:
    state: RequestState
    answer_id: int
    attachment_ids: tuple[int, ...]
    sms_id: int | None


class AnswerWriter:
    def __init__(
        self,
        pool: Pool,
        lifecycle: RequestLifecycle,
        store: AttachmentStore,
        templates: TemplateRepository,
    ) -> None:
        self._pool = pool
        self._lifecycle = lifecycle
        self._store = store
        self._templates = templates

    async def answer(
        self,
        request_id: int,
        *,
        user: User,
        body: str,
        files: Sequence[StagedFile],
        expected_version: int,
        now: datetime,
    ) -> SavedAnswer:
        """Save the answer of `user`'s agency; raises a `LifecycleError` (nothing saved,
        the staged files removed) when the request cannot be answered."""
        if user.agency_id is None:
            raise NotTheAgencysRequest(f"user {user.id} belongs to no agency")
        agency_id = user.agency_id
        if not 1 <= len(body) <= MAX_ANSWER_CHARS:
            raise ValueError(f"an answer has 1..{MAX_ANSWER_CHARS} characters")
        # Read before the transaction: nothing in it waits for more than its own rows.
        sms_text = await self._templates.body_of(SMS_TEMPLATE)
        created: list[str] = []  # final files this save made, removed if it fails
        out: dict[str, Any] = {}

        async def write(
            conn: PoolConnection, before: RequestState, _after: RequestState
        ) -> dict[str, Any]:
            if before.agency_id != agency_id:
                raise NotTheAgencysRequest(f"request {request_id} is not agency {agency_id}'s")
            agency = await conn.fetchrow(AGENCY_SQL, agency_id)
            assert agency is not None  # users.agency_id references agencies
            answer_id = int(
                await conn.fetchval(INSERT_ANSWER_SQL, request_id, agency_id, user.id, body, now)
            )
            ids = []
            # Sorted, so that two answers sharing files take the locks in the same order.
            for sha in sorted({f.sha256 for f in files}):
                await conn.execute(LOCK_HASH_SQL, sha)
            for f in files:
                if await self._store.place(f):
                    created.append(f.sha256)
                ids.append(
                    await conn.fetchval(
                        INSERT_ATTACHMENT_SQL,
                        answer_id,
                        request_id,
                        f.filename,
                        f.content_type,
                        f.size,
                        f.sha256,
                        now,
                    )
                )
            sms_id = None
            caller = before.caller_e164
            if caller is not None and normalise_caller_id(caller).is_mobile:
                text = render_request_answered(
                    sms_text,
                    before.tracking_code,
                    agency["name"],
                    now,
                    ZoneInfo(agency["timezone"]),
                )
                sms_id = await conn.fetchval(INSERT_SMS_SQL, request_id, caller, text)
            out.update(answer_id=answer_id, attachment_ids=tuple(ids), sms_id=sms_id)
            return {"answer_id": answer_id, "attachments": len(ids), "sms_id": sms_id}

        try:
            state = await self._lifecycle.act(
                request_id, Action.ANSWER, actor=Actor.of(user), now=now,
                expected_version=expected_version, within=write,
            )  # fmt: skip
        except BaseException:
            await self._clean_up(files, created)
            raise
        return SavedAnswer(state, out["answer_id"], out["attachment_ids"], out["sms_id"])

    async def _clean_up(self, files: Sequence[StagedFile], created: list[str]) -> None:
        for f in files:
            await self._store.remove_staged(f)
        for sha in created:
            try:
                await self.remove_if_unused(sha)
            except Exception:
                # A file left behind is unreferenced and harmless; say so and go on.
                log.exception("attachment %s: could not check whether it is still used", sha)

    async def remove_if_unused(self, sha256: str) -> bool:
        """Remove the stored file unless a committed row names it; True if removed."""
        async with connection(self._pool) as conn, conn.transaction():
            await conn.execute(LOCK_HASH_SQL, sha256)
            if await conn.fetchval(REFERENCED_SQL, sha256):
                return False
            await self._store.remove(sha256)
        return True
