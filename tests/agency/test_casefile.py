"""The case file on a real PostgreSQL, and its Persian partial."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import jinja2
from lifecycle.factories import add_closed_day, make_request

from agency.factories import make_staff
from samad_ivr.domain.lifecycle import Status
from samad_ivr.storage.casefile import CaseFileRepository
from samad_ivr.storage.db import Pool
from samad_ivr.storage.lifecycle import Actor, RequestLifecycle
from samad_ivr.web.casefile import casefile_context, days_left_text, size_text
from samad_ivr.web.widgets import phone_html

TEMPLATES = Path(__file__).parents[2] / "samad_ivr" / "web" / "templates"
# 2025-03-01 is a Saturday, 10:00 in Tehran; the deadline is Tuesday 2025-03-11.
NOW = datetime(2025, 3, 1, 6, 30, tzinfo=UTC)
DESK = Actor(job="intake")


def render(context: dict[str, object]) -> str:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters["phone"] = phone_html
    return env.get_template("requests/casefile.html").render(context)


async def _answered_case(
    db_pool: Pool, lifecycle: RequestLifecycle, center_id: int, agency_id: int
) -> int:
    request_id = await make_request(db_pool, center_id, summary="آب آشامیدنی روستا قطع است")
    await add_closed_day(db_pool, center_id, date(2025, 3, 11), "تعطیل استانی")
    staff = await make_staff(db_pool, center_id, agency_id, "مریم احمدی")
    await lifecycle.assign(
        request_id, agency_id=agency_id, topic="housing", actor=DESK, now=NOW, note="ارجاع"
    )
    async with db_pool.acquire() as conn:
        answer_id = await conn.fetchval(
            "INSERT INTO request_answers (request_id, agency_id, user_id, body)"
            " VALUES ($1, $2, $3, 'لوله‌کشی انجام شد') RETURNING id",
            request_id, agency_id, staff.id,
        )  # fmt: skip
        await conn.execute(
            "INSERT INTO answer_attachments (answer_id, request_id, filename, content_type,"
            " size_bytes, sha256) VALUES ($1, $2, 'گزارش.pdf', 'application/pdf', 2048, $3)",
            answer_id, request_id, "a" * 64,
        )  # fmt: skip
        await conn.execute(
            "INSERT INTO inspection_visits (request_id, agency_id, user_id, visited_on, findings)"
            " VALUES ($1, $2, $3, '2025-03-05', 'بازدید شد')",
            request_id, agency_id, staff.id,
        )  # fmt: skip
    return request_id


async def test_the_case_file_gathers_call_deadline_answers_visits_and_history(
    db_pool: Pool, lifecycle: RequestLifecycle, center_id: int, agency_id: int
) -> None:
    request_id = await _answered_case(db_pool, lifecycle, center_id, agency_id)
    case = await CaseFileRepository(db_pool).load(request_id)
    assert case is not None
    assert case.state.status is Status.ASSIGNED
    assert case.agency_name == "ادارهٔ کل راه و شهرسازی"
    assert case.topic_name == "نهضت ملی مسکن"
    assert case.call.route == "desk"
    assert case.state.summary == "آب آشامیدنی روستا قطع است"
    assert [a.body for a in case.answers] == ["لوله‌کشی انجام شد"]
    assert case.answers[0].author == "مریم احمدی"
    assert [(f.filename, f.size_bytes) for f in case.answers[0].attachments] == [
        ("گزارش.pdf", 2048)
    ]
    assert [(v.visited_on, v.inspector) for v in case.visits] == [(date(2025, 3, 5), "مریم احمدی")]
    assert [(h.entry.action, h.entry.job) for h in case.history] == [
        ("register", "intake"),
        ("assign", "intake"),
    ]
    assert case.deadline is not None
    assert case.deadline.due_on == date(2025, 3, 12)
    assert [s.reason for s in case.deadline.skipped] == ["تعطیل استانی"]
    assert case.days_left(NOW) == 11
    assert not case.overdue(NOW)
    assert case.overdue(datetime(2025, 3, 12, 20, 31, tzinfo=UTC))  # 00:01 on the 13th, Tehran


async def test_an_unknown_request_has_no_case_file(db_pool: Pool) -> None:
    assert await CaseFileRepository(db_pool).load(999_999) is None


async def test_the_partial_shows_jalali_dates_persian_digits_and_how_the_deadline_came(
    db_pool: Pool, lifecycle: RequestLifecycle, center_id: int, agency_id: int
) -> None:
    request_id = await _answered_case(db_pool, lifecycle, center_id, agency_id)
    case = await CaseFileRepository(db_pool).load(request_id)
    assert case is not None
    html = render(casefile_context(case, NOW))
    # 2025-03-12 is Wednesday 1403/12/22; the holiday 1403/12/21 was skipped.
    assert "چهارشنبه ۱۴۰۳/۱۲/۲۲" in html
    assert "سه\u200cشنبه ۱۴۰۳/۱۲/۲۱ — تعطیل استانی" in html
    assert "۱۱ روز مانده" in html
    assert "۱۰ روز تقویمی" in html
    assert "۰۹۱۸ ۱۲۳ ۴۵۶۷" in html
    assert 'href="/attachments/' in html
    assert "سامانه (ثبت پس از تماس)" in html
    assert "مهلت گذشته" not in html
    late = render(casefile_context(case, datetime(2025, 3, 14, 8, 0, tzinfo=UTC)))
    assert "مهلت گذشته" in late
    assert "۲ روز از مهلت گذشته" in late


def test_sizes_and_days_left_read_as_persian() -> None:
    assert size_text(900) == "۹۰۰ بایت"
    assert size_text(2048) == "۲ کیلوبایت"
    assert size_text(3 * 1024 * 1024 + 300_000) == "۳٫۳ مگابایت"
    assert size_text(5 * 1024 * 1024) == "۵ مگابایت"
    assert days_left_text(0) == "امروز آخرین روز مهلت"
    assert days_left_text(None) == "—"
