"""SMS fixtures: a migrated database, a settable clock, fake providers, outbox rows."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest

from samad_ivr.sms.config import SmsSettings
from samad_ivr.sms.notifications import AdminNotifications
from samad_ivr.sms.provider import OutgoingSms, SendResult
from samad_ivr.sms.service import is_mobile
from samad_ivr.sms.worker import OutboxWorker
from samad_ivr.storage.db import Pool
from samad_ivr.storage.sms import OutboxStore

MOBILE = "+989121234567"
OTHER_MOBILE = "+989351112233"
LANDLINE = "+988138221234"
TOKEN = "test-callback-token-0123456789"


@dataclass
class FakeClock:
    now: datetime = field(default_factory=lambda: datetime.now(UTC))

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@dataclass
class CountingProvider:
    """Accepts everything (after an optional delay) and counts sends per outbox id."""

    name: str = "fake"
    delay: float = 0.0
    results: list[SendResult] = field(default_factory=list)  # consumed first, then accept
    sent: Counter[int] = field(default_factory=Counter)

    async def send(self, sms: OutgoingSms) -> SendResult:
        self.sent[sms.outbox_id] += 1
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.results:
            return self.results.pop(0)
        return SendResult("accepted", "ok", provider_message_id=f"fake-{sms.outbox_id}")


def sms_settings(**env: str) -> SmsSettings:
    base = {"SAMAD_SMS_CALLBACK_TOKEN": TOKEN}
    base.update({f"SAMAD_SMS_{k.upper()}": v for k, v in env.items()})
    return SmsSettings.from_env(base)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def store(db_pool: Pool) -> OutboxStore:
    return OutboxStore(db_pool)


@pytest.fixture
def notes(db_pool: Pool) -> AdminNotifications:
    return AdminNotifications(db_pool)


QueueSms = Callable[..., Awaitable[int]]


@pytest.fixture
def queue_sms(db_pool: Pool) -> QueueSms:
    """Insert a queued outbox row as RequestRepository.register does (request-less)."""

    async def queue(
        destination: str = MOBILE,
        body: str = "سامد: درخواست شما ثبت شد.\n1234567890",
        *,
        created_at: datetime | None = None,
        category: str = "transactional",
    ) -> int:
        created = created_at or datetime.now(UTC) - timedelta(seconds=1)
        async with db_pool.acquire() as conn:
            return int(
                await conn.fetchval(
                    "INSERT INTO sms_outbox (destination, body, created_at, next_attempt_at,"
                    " category) VALUES ($1, $2, $3, $3, $4) RETURNING id",
                    destination,
                    body,
                    created,
                    category,
                )
            )

    return queue


MakeWorker = Callable[..., OutboxWorker]


@pytest.fixture
def make_worker(store: OutboxStore, notes: AdminNotifications, clock: FakeClock) -> MakeWorker:
    counter = iter(range(1, 1000))

    def make(provider: object, settings: SmsSettings | None = None, **kw: object) -> OutboxWorker:
        return OutboxWorker(
            store=store,
            notifications=notes,
            provider=provider,  # type: ignore[arg-type]
            settings=settings or sms_settings(),
            clock=kw.pop("clock", clock),  # type: ignore[arg-type]
            worker_id=f"test-worker-{next(counter)}",
            is_mobile=is_mobile,
            **kw,  # type: ignore[arg-type]
        )

    return make


async def outbox_row(pool: Pool, outbox_id: int) -> dict[str, object]:
    async with pool.acquire() as conn:
        row = await conn.fetchrow("SELECT * FROM sms_outbox WHERE id = $1", outbox_id)
    assert row is not None
    return dict(row)


async def attempts_of(pool: Pool, outbox_id: int) -> list[dict[str, object]]:
    async with pool.acquire() as conn:
        rows = await conn.fetch(
            "SELECT * FROM sms_attempts WHERE outbox_id = $1 ORDER BY attempt_no", outbox_id
        )
    return [dict(r) for r in rows]
