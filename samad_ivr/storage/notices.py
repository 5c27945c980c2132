"""Public duty notices: upcoming sessions, subscriptions, announcement deliveries, warnings."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import Enum
from zoneinfo import ZoneInfo

from samad_ivr.storage.db import AnyConnection, Pool, connection, require_aware

__all__ = [
    "AtRiskWarning",
    "NoticeRepository",
    "PublicSession",
    "SignupLimits",
    "WebSignup",
    "has_optouts_table",
]

# Sessions a citizen can still come to: not over yet, not on a closed day or weekend of
# the center (the router sends nobody to those, see domain.roster.decide).
UPCOMING_SQL = """
SELECT s.id, s.starts_at, s.ends_at, c.code, c.name AS center_name, c.timezone,
       o.title, COALESCE(a.name, '') AS agency
FROM duty_slots s
JOIN centers c ON c.id = s.center_id
JOIN officials o ON o.id = s.official_id
LEFT JOIN agencies a ON a.id = o.agency_id
WHERE s.ends_at > $1 AND s.starts_at < $2
  AND ($3::text IS NULL OR c.code = $3)
  AND NOT EXISTS (SELECT 1 FROM closed_days d
                  WHERE d.center_id = s.center_id
                    AND d.day = (s.starts_at AT TIME ZONE c.timezone)::date)
  AND NOT (extract(isodow FROM s.starts_at AT TIME ZONE c.timezone)::int - 1
           = ANY (c.weekend_days))
ORDER BY s.starts_at, c.code, s.id
"""

OPTOUTS_TABLE_SQL = "SELECT to_regclass('public.sms_optouts') IS NOT NULL"
IS_OPTED_OUT_SQL = "SELECT EXISTS (SELECT 1 FROM sms_optouts WHERE destination = $1)"

SUBSCRIBE_IVR_SQL = """
INSERT INTO subscriptions (center_id, destination, source, created_at, confirmed, confirmed_at)
SELECT id, $2, 'ivr', $3, true, $3 FROM centers WHERE code = $1
ON CONFLICT (center_id, destination) DO UPDATE SET
    confirmed = true,
    confirmed_at = COALESCE(subscriptions.confirmed_at, EXCLUDED.confirmed_at),
    confirm_code_hash = NULL
RETURNING id
"""

SUBSCRIPTION_SQL = """
SELECT confirmed, code_sent_at FROM subscriptions
WHERE center_id = $1 AND destination = $2 FOR UPDATE
"""

NEW_WEB_SQL = """
INSERT INTO subscriptions (center_id, destination, source, created_at, confirm_code_hash,
                           code_sent_at)
VALUES ($1, $2, 'web', $3, $4, $3)
"""

NEW_CODE_SQL = """
UPDATE subscriptions SET confirm_code_hash = $3, code_sent_at = $4, confirm_attempts = 0
WHERE center_id = $1 AND destination = $2
"""

QUEUE_SMS_SQL = """
INSERT INTO sms_outbox (destination, body, category) VALUES ($1, $2, $3) RETURNING id
"""

# Sign-up codes by number (any center) and by client address; both locked first so two
# requests at once cannot both pass a limit.
LOCK_SIGNUP_SQL = "SELECT pg_advisory_xact_lock(hashtextextended('signup:' || $1, 0))"
CODES_TO_NUMBER_SQL = """
SELECT count(*) FROM notice_signup_codes WHERE destination = $1 AND sent_at > $2
"""
CODES_FROM_ADDRESS_SQL = """
SELECT count(*) FROM notice_signup_codes WHERE address = $1 AND sent_at > $2
"""
RECORD_CODE_SQL = """
INSERT INTO notice_signup_codes (destination, address, sent_at) VALUES ($1, $2, $3)
"""

# One statement so concurrent attempts cannot both pass the attempt limit.
CONFIRM_SQL = """
UPDATE subscriptions SET
    confirmed = confirm_code_hash = $3,
    confirmed_at = CASE WHEN confirm_code_hash = $3 THEN $4::timestamptz END,
    confirm_code_hash = CASE WHEN confirm_code_hash = $3 THEN NULL ELSE confirm_code_hash END,
    confirm_attempts = confirm_attempts + 1
WHERE center_id = $1 AND destination = $2 AND NOT confirmed
  AND confirm_code_hash IS NOT NULL AND confirm_attempts < $5 AND code_sent_at > $6
RETURNING confirmed
"""

CLAIM_DELIVERY_SQL = """
INSERT INTO notice_deliveries (slot_id, destination, queued_at) VALUES ($1, $2, $3)
ON CONFLICT (slot_id, destination) DO NOTHING
RETURNING slot_id
"""

LINK_DELIVERY_SQL = """
UPDATE notice_deliveries SET outbox_id = $3 WHERE slot_id = $1 AND destination = $2
"""

SUBSCRIBERS_SQL = """
SELECT sub.destination FROM subscriptions sub
JOIN duty_slots s ON s.center_id = sub.center_id
WHERE s.id = $1 AND sub.confirmed
  AND NOT EXISTS (SELECT 1 FROM notice_deliveries nd
                  WHERE nd.slot_id = s.id AND nd.destination = sub.destination)
ORDER BY sub.id
"""

SUBSCRIBERS_WITH_OPTOUTS_SQL = """
SELECT sub.destination FROM subscriptions sub
JOIN duty_slots s ON s.center_id = sub.center_id
WHERE s.id = $1 AND sub.confirmed
  AND NOT EXISTS (SELECT 1 FROM notice_deliveries nd
                  WHERE nd.slot_id = s.id AND nd.destination = sub.destination)
  AND NOT EXISTS (SELECT 1 FROM sms_optouts o WHERE o.destination = sub.destination)
ORDER BY sub.id
"""

# dedup_key makes the warning once per official and Persian week.
ADD_WARNING_SQL = """
INSERT INTO admin_notifications (kind, subject, body, dedup_key, created_at)
VALUES ('four_visits_at_risk', $1, $2, $3, $4)
ON CONFLICT (dedup_key) DO NOTHING
RETURNING id
"""


async def has_optouts_table(conn: AnyConnection) -> bool:
    """True once the SMS migration has created `sms_optouts`."""
    return bool(await conn.fetchval(OPTOUTS_TABLE_SQL))


class WebSignup(Enum):
    CODE_SENT = "code_sent"  # a confirmation code is on its way by SMS
    ALREADY_CONFIRMED = "already_confirmed"
    TOO_SOON = "too_soon"  # a code went out moments ago; no second SMS yet
    OPTED_OUT = "opted_out"  # the number asked for no SMS from us
    LIMITED = "limited"  # too many codes to this number or from this address lately


@dataclass(frozen=True, slots=True)
class SignupLimits:
    """How many confirmation codes one number, and one client address, may cause."""

    per_number: int = 3
    number_window: timedelta = timedelta(days=1)
    per_address: int = 10
    address_window: timedelta = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class PublicSession:
    slot_id: int
    starts_at: datetime
    ends_at: datetime
    center_code: str
    center_name: str
    tz: ZoneInfo
    official_title: str
    agency: str


@dataclass(frozen=True, slots=True)
class AtRiskWarning:
    """An official who cannot reach the yearly visits, for the center's admins."""

    center_code: str
    official_id: int
    jalali_year: int
    week_start: date  # the Saturday of the Persian week the warning belongs to
    subject: str
    body: str

    @property
    def dedup_key(self) -> str:
        return (
            f"four_visits:{self.center_code}:{self.official_id}:"
            f"{self.jalali_year}:{self.week_start.isoformat()}"
        )


class NoticeRepository:
    def __init__(self, pool: Pool) -> None:
        self._pool = pool

    async def upcoming(
        self, now: datetime, until: datetime, center_code: str | None = None
    ) -> list[PublicSession]:
        """Open sessions not over at `now` and starting before `until`, by start."""
        require_aware(now, "now")
        require_aware(until, "until")
        async with connection(self._pool) as conn:
            rows = await conn.fetch(UPCOMING_SQL, now, until, center_code)
        return [
            PublicSession(
                slot_id=r["id"],
                starts_at=r["starts_at"],
                ends_at=r["ends_at"],
                center_code=r["code"],
                center_name=r["center_name"],
                tz=ZoneInfo(r["timezone"]),
                official_title=r["title"],
                agency=r["agency"],
            )
            for r in rows
        ]

    async def subscribe_confirmed(self, center_code: str, destination: str, now: datetime) -> bool:
        """Subscribe a number that proved it is the caller's own (IVR); False: no such center."""
        require_aware(now, "now")
        async with connection(self._pool) as conn:
            row_id = await conn.fetchval(SUBSCRIBE_IVR_SQL, center_code, destination, now)
        return row_id is not None

    async def subscribe_web(
        self,
        center_id: int,
        destination: str,
        code_hash: str,
        code_sms: str,
        now: datetime,
        resend_after: timedelta,
        *,
        address: str,
        limits: SignupLimits = SignupLimits(),
    ) -> WebSignup:
        """Start (or restart) a web sign-up: store the code's hash and queue its SMS."""
        require_aware(now, "now")
        async with connection(self._pool) as conn, conn.transaction():
            if await has_optouts_table(conn) and await conn.fetchval(IS_OPTED_OUT_SQL, destination):
                return WebSignup.OPTED_OUT
            for key in sorted((f"n:{destination}", f"a:{address}")):  # one lock order
                await conn.execute(LOCK_SIGNUP_SQL, key)
            to_number = await conn.fetchval(
                CODES_TO_NUMBER_SQL, destination, now - limits.number_window
            )
            from_address = await conn.fetchval(
                CODES_FROM_ADDRESS_SQL, address, now - limits.address_window
            )
            if to_number >= limits.per_number or from_address >= limits.per_address:
                return WebSignup.LIMITED
            row = await conn.fetchrow(SUBSCRIPTION_SQL, center_id, destination)
            if row is None:
                await conn.execute(NEW_WEB_SQL, center_id, destination, now, code_hash)
            elif row["confirmed"]:
                return WebSignup.ALREADY_CONFIRMED
            elif row["code_sent_at"] is not None and now - row["code_sent_at"] < resend_after:
                return WebSignup.TOO_SOON
            else:
                await conn.execute(NEW_CODE_SQL, center_id, destination, code_hash, now)
            await conn.execute(RECORD_CODE_SQL, destination, address, now)
            await conn.fetchval(QUEUE_SMS_SQL, destination, code_sms, "signup")
        return WebSignup.CODE_SENT

    async def confirm_web(
        self,
        center_id: int,
        destination: str,
        code_hash: str,
        now: datetime,
        *,
        max_attempts: int,
        valid_for: timedelta,
    ) -> bool:
        """True if `code_hash` matches the pending code (within its life and attempt limit)."""
        require_aware(now, "now")
        args = (center_id, destination, code_hash, now, max_attempts, now - valid_for)
        async with connection(self._pool) as conn:
            confirmed = await conn.fetchval(CONFIRM_SQL, *args)
        return bool(confirmed)

    async def queue_announcement(self, slot_id: int, body: str, now: datetime) -> int:
        """Queue `body` once to every confirmed, not opted-out subscriber of the slot's
        center who has not had this slot's notice; returns how many were queued."""
        require_aware(now, "now")
        queued = 0
        async with connection(self._pool) as conn, conn.transaction():
            sql = SUBSCRIBERS_WITH_OPTOUTS_SQL if await has_optouts_table(conn) else SUBSCRIBERS_SQL
            for row in await conn.fetch(sql, slot_id):
                destination = row["destination"]
                if await conn.fetchval(CLAIM_DELIVERY_SQL, slot_id, destination, now) is None:
                    continue  # another run got there first
                outbox_id = await conn.fetchval(QUEUE_SMS_SQL, destination, body, "notice")
                await conn.execute(LINK_DELIVERY_SQL, slot_id, destination, outbox_id)
                queued += 1
        return queued

    async def add_warning(self, warning: AtRiskWarning, now: datetime) -> bool:
        """Notify the admins unless this official was already reported this week."""
        require_aware(now, "now")
        w = warning
        async with connection(self._pool) as conn:
            row_id = await conn.fetchval(ADD_WARNING_SQL, w.subject, w.body, w.dedup_key, now)
        return row_id is not None
