"""Every question, callback attempt and reply shows in the request's history (case file)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import jinja2

from samad_ivr.ami.originate import CallResult
from samad_ivr.jobs.satisfaction_ask import ask_citizens
from samad_ivr.jobs.satisfaction_calls import Callbacks
from samad_ivr.sms.inbound import InboundRouter
from samad_ivr.storage.casefile import CaseFileRepository
from samad_ivr.storage.db import Pool
from samad_ivr.web.casefile import casefile_context
from samad_ivr.web.widgets import phone_html

from .conftest import ANSWERED_AT, Answered, FakePhone, policy, tehran

TEMPLATES = Path(__file__).parents[2] / "samad_ivr" / "web" / "templates"


def render(context: dict[str, object]) -> str:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES)), autoescape=True,
                             undefined=jinja2.StrictUndefined)  # fmt: skip
    env.filters["phone"] = phone_html
    return env.get_template("requests/casefile.html").render(context)


async def test_the_history_shows_the_questions_the_busy_callback_and_the_reply(
    db_pool: Pool, answered: Answered
) -> None:
    asked_at = ANSWERED_AT + timedelta(days=1, minutes=5)
    await ask_citizens(db_pool, asked_at, policy())
    clock = [tehran(5, 10)]
    await Callbacks(db_pool, FakePhone([CallResult.BUSY]), policy().call, dial="Local/{e164}@x",
                    caller_id="111", max_calls=1, clock=lambda: clock[0]).ring_due()  # fmt: skip
    inbound = InboundRouter(db_pool, optout_words=(), verdicts=answered.verdicts,
                            clock=lambda: tehran(5, 11))  # fmt: skip
    await inbound.handle("09121234567", "۲", None)

    case = await CaseFileRepository(db_pool).load(answered.request_id)
    assert case is not None
    rows = casefile_context(case, tehran(5, 12))["cf"]["history"]
    lines = [(r.what, r.actor) for r in rows]
    assert ("پرسش از شهروند: آیا پاسخ قانع‌کننده بود؟", "سامانه (نظرخواهی از شهروند)") in lines
    assert ("تماس با شهروند برای نظرخواهی", "سامانه (نظرخواهی از شهروند)") in lines
    assert lines[-1] == ("بازگشایی", "شهروند (پیامک)")
    notes = [r.note or "" for r in rows]
    assert any("پیامک" in n for n in notes)
    assert any("مشغول بود" in n and "دوباره" in n for n in notes)
    assert "قانع‌کننده نبود" in notes[-1]
    html = render(casefile_context(case, tehran(5, 12)))
    assert "تماس ۱ برای پرسش رضایت: شهروند مشغول بود" in html
    assert "نظرخواهی" in html
