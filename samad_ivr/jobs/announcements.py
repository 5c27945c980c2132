"""Job: tell subscribers about a duty session a few days before it, once per number."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta

from samad_ivr.notices.text import DEFAULT_OPTOUT_WORD, announcement_sms
from samad_ivr.storage.db import Pool
from samad_ivr.storage.notices import NoticeRepository, PublicSession

log = logging.getLogger(__name__)

__all__ = ["queue_session_announcements"]


async def queue_session_announcements(
    pool: Pool, now: datetime, days_before: int, optout_word: str = DEFAULT_OPTOUT_WORD
) -> int:
    """Queue one SMS per confirmed subscriber for each open session starting within
    `days_before` days of `now`; returns how many SMS were queued.

    Every run looks at the whole window, so a session added late, or a citizen who
    subscribed after the first run, still gets the notice; `notice_deliveries` makes
    sure nobody gets the same session twice.  Numbers in `sms_optouts` are skipped.
    """
    if days_before < 0:
        raise ValueError("days_before must be >= 0")
    notices = NoticeRepository(pool)
    sessions = await notices.upcoming(now, now + timedelta(days=days_before))
    queued = 0
    for first, *together in _sessions_together(sessions):
        if first.starts_at <= now:
            continue  # already running: too late to announce
        body = announcement_sms(first, optout_word, together)
        # Claimed under the session's first slot: one SMS per session, not per desk.
        queued += await notices.queue_announcement(first.slot_id, body, now)
    if queued:
        log.info("queued %d duty-session announcements", queued)
    return queued


def _sessions_together(sessions: Sequence[PublicSession]) -> list[list[PublicSession]]:
    """Slots of one center that overlap, chained: several desks of one session."""
    groups: list[list[PublicSession]] = []
    ends: list[datetime] = []
    for session in sorted(sessions, key=lambda s: (s.center_code, s.starts_at, s.slot_id)):
        last = groups[-1] if groups else None
        if (
            last is not None
            and last[0].center_code == session.center_code
            and (session.starts_at < ends[-1])
        ):
            last.append(session)
            ends[-1] = max(ends[-1], session.ends_at)
        else:
            groups.append([session])
            ends.append(session.ends_at)
    return groups
