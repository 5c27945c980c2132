"""A small hand-made world with known report figures, shared by the storage, web and
browser tests of the reports.

Two provinces.  Every request is registered on 1404-01-10 (2025-03-30) at 10:00 Tehran
unless said otherwise and moved through the real `RequestLifecycle`; the report is read
at `NOW` (1404-01-31, 2025-04-20 12:00 Tehran) over 1404-01-10..1404-01-20.

Hamedan, agency A («راه و شهرسازی»):
  a_on_time   housing,    answered after 3 days                 (answered, on time)
  a_late      housing,    answered after 15 days, accepted      (closed, late)
  a_reopened  employment, answered after 5 days, reopened       (reopened, on time)
Hamedan, agency B («جهاد کشاورزی»):
  b_overdue   employment, never answered, due 1404-01-20        (assigned, overdue)
  b_escalated housing,    escalated by the deadline job, long stop set (overdue)
Hamedan, no agency:
  waiting     only registered                                   (registered)
  resolved    closed by the inspectors without an agency       (closed)
  outside     housing, registered 1404-01-05: outside the range
Tehran, agency C («آب منطقه‌ای»):
  c_on_time   agriculture, answered after 2 days                (answered, on time)
  c_fresh     agriculture, registered 1404-01-18, assigned two days before NOW
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from lifecycle.factories import make_agency, make_center

from samad_ivr.domain.deadlines import DeadlinePolicy
from samad_ivr.domain.lifecycle import Action
from samad_ivr.storage.db import Pool
from samad_ivr.storage.lifecycle import Actor, RequestLifecycle

TEHRAN = ZoneInfo("Asia/Tehran")
DAY = datetime(2025, 3, 30, 10, 0, tzinfo=TEHRAN)  # 1404-01-10
NOW = datetime(2025, 4, 20, 12, 0, tzinfo=TEHRAN)  # 1404-01-31
RANGE = {"from": "1404-01-10", "to": "۱۴۰۴/۰۱/۲۰"}
FIRST_DAY = datetime(2025, 3, 30, tzinfo=TEHRAN)
AFTER_LAST_DAY = datetime(2025, 4, 10, tzinfo=TEHRAN)
DESK = Actor.named("desk_test")
STAFF = Actor.named("agency_test")
INSPECTOR = Actor.named("inspector_test")
HOSTILE_AGENCY = "<b>اداره</b>"

_counter = itertools.count(1)


@dataclass(frozen=True, slots=True)
class ReportWorld:
    hamedan: int
    tehran: int
    agency_a: int
    agency_b: int
    agency_c: int
    requests: dict[str, int]


async def registered(
    pool: Pool, center_id: int, at: datetime, caller: str = "+989181234567"
) -> int:
    """A request registered at `at` on an answered call of the same moment."""
    n = next(_counter)
    async with pool.acquire() as conn, conn.transaction():
        call_id = await conn.fetchval(
            """INSERT INTO calls (uniqueid, center_id, caller_raw, caller_e164, started_at,
                                  answered_at, ended_at, disposition, route)
               VALUES ($1, $2, $3, $3, $4::timestamptz, $4, $4::timestamptz + interval '3 min',
                       'answered', 'desk')
               RETURNING id""",
            f"1760000000.{n}", center_id, caller, at,
        )  # fmt: skip
        request_id: int = await conn.fetchval(
            """INSERT INTO requests (tracking_code, call_id, caller_e164, summary, created_at)
               VALUES ($1, $2, $3, 'درخواست شهروند', $4) RETURNING id""",
            f"{8000000000 + n:010d}", call_id, caller, at,
        )  # fmt: skip
    return request_id


async def _answered(
    life: RequestLifecycle, request_id: int, agency: int, topic: str, after_days: int
) -> None:
    await life.assign(request_id, agency_id=agency, topic=topic, actor=DESK, now=DAY)
    await life.act(request_id, Action.ANSWER, actor=STAFF, now=DAY + timedelta(days=after_days))


async def build_world(pool: Pool, *, hostile_name: bool = False) -> ReportWorld:
    life = RequestLifecycle(pool, DeadlinePolicy())
    h = await make_center(pool, "hamedan")
    t = await make_center(pool, "tehran")
    a = await make_agency(pool, h, HOSTILE_AGENCY if hostile_name else "راه و شهرسازی")
    b = await make_agency(pool, h, "جهاد کشاورزی")
    c = await make_agency(pool, t, "آب منطقه‌ای")
    async with pool.acquire() as conn:
        await conn.execute("UPDATE centers SET name = 'همدان' WHERE id = $1", h)
        await conn.execute("UPDATE centers SET name = 'تهران' WHERE id = $1", t)
    ids = {name: await registered(pool, h, DAY + timedelta(minutes=i)) for i, name in enumerate(
        ("a_on_time", "a_late", "a_reopened", "b_overdue", "b_escalated", "waiting", "resolved")
    )}  # fmt: skip
    ids["outside"] = await registered(pool, h, DAY - timedelta(days=5))
    ids["c_on_time"] = await registered(pool, t, DAY)
    ids["c_fresh"] = await registered(pool, t, DAY + timedelta(days=8))

    await _answered(life, ids["a_on_time"], a, "housing", 3)
    await _answered(life, ids["a_late"], a, "housing", 15)
    await life.act(ids["a_late"], Action.ACCEPT, actor=INSPECTOR, now=DAY + timedelta(days=16))
    await _answered(life, ids["a_reopened"], a, "employment", 5)
    await life.act(ids["a_reopened"], Action.REOPEN, actor=INSPECTOR, now=DAY + timedelta(days=6))
    await life.assign(ids["b_overdue"], agency_id=b, topic="employment", actor=DESK, now=DAY)
    await life.assign(ids["b_escalated"], agency_id=b, topic="housing", actor=DESK, now=DAY)
    escalated = DAY + timedelta(days=11)
    await life.act(
        ids["b_escalated"], Action.ESCALATE, actor=Actor.named("deadline_job"), now=escalated
    )
    await life.act(ids["resolved"], Action.RESOLVE, actor=INSPECTOR, now=DAY + timedelta(days=1))
    await _answered(life, ids["outside"], a, "housing", 1)
    await _answered(life, ids["c_on_time"], c, "agriculture", 2)
    await life.assign(
        ids["c_fresh"], agency_id=c, topic="agriculture", actor=DESK, now=NOW - timedelta(days=2)
    )
    async with pool.acquire() as conn:
        # The long-stop job is another module's; its mark is what the dashboard counts.
        await conn.execute(
            "UPDATE requests SET long_stop_at = $2 WHERE id = $1",
            ids["b_escalated"], DAY + timedelta(days=20),
        )  # fmt: skip
    return ReportWorld(h, t, a, b, c, ids)
