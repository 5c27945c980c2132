"""The duty sessions as an iCalendar feed (RFC 5545) for citizens' and newsrooms' calendars."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from icalendar import Calendar, Event

from samad_ivr.storage.notices import PublicSession

__all__ = ["duty_calendar"]

PRODID = "-//samad-ivr//duty sessions//FA"


def _event(session: PublicSession, stamp: datetime, uid_domain: str) -> Event:
    event = Event()
    # Stable per slot, so calendar apps update a moved session instead of duplicating it.
    event.add("uid", f"duty-slot-{session.slot_id}@{uid_domain}")
    event.add("dtstamp", stamp)
    # UTC times (the "Z" form) need no VTIMEZONE and are exact for every client.
    event.add("dtstart", session.starts_at.astimezone(UTC))
    event.add("dtend", session.ends_at.astimezone(UTC))
    who = session.official_title + (f" — {session.agency}" if session.agency else "")
    event.add("summary", f"سامد ۱۱۱: {who}")
    event.add("location", session.center_name)
    event.add(
        "description",
        f"{who} در {session.center_name} پاسخگوی تماس‌های مردم با شماره ۱۱۱ است.",
    )
    return event


def duty_calendar(
    sessions: Iterable[PublicSession], now: datetime, uid_domain: str = "samad-ivr"
) -> bytes:
    """An RFC 5545 VCALENDAR (CRLF lines, folded at 75 octets) with one VEVENT per session."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", "سامد ۱۱۱ — جلسات پاسخگویی")
    calendar.add("x-wr-timezone", "Asia/Tehran")
    stamp = now.astimezone(UTC)
    for session in sessions:
        calendar.add_component(_event(session, stamp, uid_domain))
    feed: bytes = calendar.to_ical()
    return feed
