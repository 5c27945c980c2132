"""One request as every console reads it: the call, the lifecycle, answers, visits.

`CaseFileRepository.load(request_id)` reads a request's whole file on one connection in
five queries (the request with its call, official, agency, topic, center and
recordings; the history with the acting users' names; the answers; their attachments;
the inspectors' visits) plus the center's closed days, from which the deadline is
computed again with the days it skipped.  Who may read which file is the web layer's
question (samad_ivr.web.request_access); this module reads whatever it is asked for.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

import asyncpg

from samad_ivr.domain.deadlines import (
    Deadline,
    days_left,
    is_overdue,
)
from samad_ivr.domain.lifecycle import Status
from samad_ivr.storage.db import Pool, PoolConnection, connection
from samad_ivr.storage.lifecycle import explain_deadline
from samad_ivr.storage.lifecycle_rows import (
    HISTORY_COLUMNS,
    STATE_COLUMNS,
    HistoryEntry,
    RequestState,
    history_entry,
    request_state,
)

__all__ = [
    "AWAITING_AGENCY",
    "AnswerEntry",
    "AttachmentMeta",
    "CallFacts",
    "CaseFile",
    "CaseFileRepository",
    "HistoryLine",
    "VisitEntry",
    "attachment_meta",
]

# The statuses in which the agency owes an answer: the deadline clock is running.
AWAITING_AGENCY = frozenset({Status.ASSIGNED, Status.ESCALATED})

CASE_SQL = f"""
SELECT {STATE_COLUMNS},
       c.uniqueid, c.started_at AS call_started_at, c.answered_at AS call_answered_at,
       c.ended_at AS call_ended_at, c.caller_raw, c.route, c.disposition,
       o.name AS official_name, o.title AS official_title,
       a.name AS agency_name, t.name AS topic_name,
       ce.name AS center_name, COALESCE(ce.timezone, 'Asia/Tehran') AS timezone,
       (SELECT rec.id FROM recordings rec WHERE rec.call_id = c.id AND rec.kind = 'call')
           AS call_recording_id,
       (SELECT rec.id FROM recordings rec WHERE rec.call_id = c.id AND rec.kind = 'message')
           AS message_recording_id
FROM requests r
JOIN calls c ON c.id = r.call_id
LEFT JOIN officials o ON o.id = COALESCE(r.official_id, c.official_id)
LEFT JOIN agencies a ON a.id = r.agency_id
LEFT JOIN topics t ON t.center_id = r.center_id AND t.code = r.topic
LEFT JOIN centers ce ON ce.id = r.center_id
WHERE r.id = $1
"""

HISTORY_SQL = f"""
SELECT {HISTORY_COLUMNS}, NULLIF(u.full_name, '') AS actor_full_name
FROM request_history h LEFT JOIN users u ON u.id = h.user_id
WHERE h.request_id = $1 ORDER BY h.id
"""

ANSWERS_SQL = """
SELECT ans.id, ans.agency_id, ag.name AS agency_name, ans.user_id,
       COALESCE(NULLIF(u.full_name, ''), u.username) AS author, ans.body, ans.created_at
FROM request_answers ans
JOIN agencies ag ON ag.id = ans.agency_id
JOIN users u ON u.id = ans.user_id
WHERE ans.request_id = $1 ORDER BY ans.id
"""

ATTACHMENTS_SQL = """
SELECT id, answer_id, filename, content_type, size_bytes, sha256, created_at
FROM answer_attachments WHERE request_id = $1 ORDER BY answer_id, id
"""

VISITS_SQL = """
SELECT v.id, v.agency_id, ag.name AS agency_name, v.user_id,
       COALESCE(NULLIF(u.full_name, ''), u.username) AS inspector, v.visited_on, v.findings,
       v.created_at
FROM inspection_visits v
JOIN agencies ag ON ag.id = v.agency_id
JOIN users u ON u.id = v.user_id
WHERE v.request_id = $1 ORDER BY v.visited_on, v.id
"""


@dataclass(frozen=True, slots=True)
class CallFacts:
    """The call the request came from, as the desk saw it."""

    id: int
    uniqueid: str
    started_at: datetime
    answered_at: datetime | None
    ended_at: datetime | None
    caller_raw: str
    route: str | None
    disposition: str | None
    official_name: str | None
    official_title: str | None


@dataclass(frozen=True, slots=True)
class AttachmentMeta:
    id: int
    answer_id: int
    filename: str
    content_type: str
    size_bytes: int
    sha256: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class AnswerEntry:
    id: int
    agency_id: int
    agency_name: str
    user_id: int
    author: str
    body: str
    created_at: datetime
    attachments: tuple[AttachmentMeta, ...]


@dataclass(frozen=True, slots=True)
class VisitEntry:
    id: int
    agency_id: int
    agency_name: str
    user_id: int
    inspector: str
    visited_on: date
    findings: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class HistoryLine:
    """A history row and the name of whoever acted (a person's name, or None for a job)."""

    entry: HistoryEntry
    actor_name: str | None


@dataclass(frozen=True, slots=True)
class CaseFile:
    state: RequestState
    call: CallFacts
    center_name: str | None
    timezone: str
    agency_name: str | None
    topic_name: str | None
    history: tuple[HistoryLine, ...]
    answers: tuple[AnswerEntry, ...]
    visits: tuple[VisitEntry, ...]
    call_recording_id: int | None
    message_recording_id: int | None
    # The current round's deadline with the days it skipped (None before assignment).
    deadline: Deadline | None

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def recording_id(self) -> int | None:
        """What to play: the recorded conversation, else the caller's message."""
        return self.call_recording_id or self.message_recording_id

    @property
    def awaiting_agency(self) -> bool:
        return self.state.status in AWAITING_AGENCY and self.state.due_on is not None

    def days_left(self, now: datetime) -> int | None:
        """Days to the deadline in the center's calendar (negative when late), while the
        agency owes an answer; None otherwise."""
        if not self.awaiting_agency or self.state.due_on is None:
            return None
        return days_left(self.state.due_on, now.astimezone(self.tz).date())

    def overdue(self, now: datetime) -> bool:
        due = self.state.due_on
        return self.awaiting_agency and due is not None and is_overdue(due, now, self.tz)


def _call(r: asyncpg.Record) -> CallFacts:
    return CallFacts(
        id=r["call_id"], uniqueid=r["uniqueid"], started_at=r["call_started_at"],
        answered_at=r["call_answered_at"], ended_at=r["call_ended_at"],
        caller_raw=r["caller_raw"], route=r["route"], disposition=r["disposition"],
        official_name=r["official_name"], official_title=r["official_title"],
    )  # fmt: skip


def attachment_meta(r: asyncpg.Record) -> AttachmentMeta:
    return AttachmentMeta(
        id=r["id"], answer_id=r["answer_id"], filename=r["filename"],
        content_type=r["content_type"], size_bytes=r["size_bytes"], sha256=r["sha256"],
        created_at=r["created_at"],
    )  # fmt: skip


def _visit(r: asyncpg.Record) -> VisitEntry:
    return VisitEntry(
        id=r["id"], agency_id=r["agency_id"], agency_name=r["agency_name"],
        user_id=r["user_id"], inspector=r["inspector"], visited_on=r["visited_on"],
        findings=r["findings"], created_at=r["created_at"],
    )  # fmt: skip


async def _answers(conn: PoolConnection, request_id: int) -> tuple[AnswerEntry, ...]:
    files: dict[int, list[AttachmentMeta]] = {}
    for r in await conn.fetch(ATTACHMENTS_SQL, request_id):
        files.setdefault(r["answer_id"], []).append(attachment_meta(r))
    return tuple(
        AnswerEntry(
            id=r["id"],
            agency_id=r["agency_id"],
            agency_name=r["agency_name"],
            user_id=r["user_id"],
            author=r["author"],
            body=r["body"],
            created_at=r["created_at"],
            attachments=tuple(files.get(r["id"], ())),
        )
        for r in await conn.fetch(ANSWERS_SQL, request_id)
    )


class CaseFileRepository:
    def __init__(self, pool: Pool) -> None:
        self._pool = pool

    async def load(self, request_id: int) -> CaseFile | None:
        """The request's whole file, or None when there is no such request."""
        async with connection(self._pool) as conn:
            row = await conn.fetchrow(CASE_SQL, request_id)
            if row is None:
                return None
            state = request_state(row)
            history = tuple(
                HistoryLine(history_entry(h), h["actor_full_name"] or h["username"])
                for h in await conn.fetch(HISTORY_SQL, request_id)
            )
            answers = await _answers(conn, request_id)
            visits = tuple(_visit(v) for v in await conn.fetch(VISITS_SQL, request_id))
            deadline = await explain_deadline(conn, state)
        return CaseFile(
            state=state, call=_call(row), center_name=row["center_name"],
            timezone=row["timezone"], agency_name=row["agency_name"],
            topic_name=row["topic_name"], history=history, answers=answers, visits=visits,
            call_recording_id=row["call_recording_id"],
            message_recording_id=row["message_recording_id"], deadline=deadline,
        )  # fmt: skip
