"""The service-level figures (answered, abandoned and after how long, callbacks, average
speed of answer, answered within T) as charts with their tables, and the sessions' rows.

Pure: a `ServiceLevel` comes in, HTML (from `charts`, which escapes every text) goes out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from samad_ivr.admin.jalali import fa_digits, jalali, jalali_text
from samad_ivr.national.charts import (
    Bar,
    Column,
    Series,
    bar_chart,
    column_chart,
    count_text,
    percent_points,
    percent_text,
)
from samad_ivr.national.dashboard import NO_CENTER, seconds_text, wait_labels
from samad_ivr.storage.service_level import ABANDON_EDGES, ServiceLevel, SessionStats

__all__ = ["OUTCOMES", "ServiceCharts", "SessionRow", "service_charts", "session_rows"]

OUTCOMES = (
    ("answered", Series("پاسخ داده شد", "#0072B2")),
    ("abandoned", Series("قطع پیش از پاسخ", "#D55E00")),
    ("callbacks", Series("تماس برگشتی گرفته شد", "#009E73")),
    ("callbacks_reached", Series("تماس برگشتی پاسخ گرفت", "#CC79A7")),
)
_DAY = "روز"


@dataclass(frozen=True, slots=True)
class ServiceCharts:
    outcomes: str  # per day: answered, abandoned, callbacks made and reached
    speed: str  # per day: average speed of answer
    within: str  # per day: the share answered within T
    abandon_buckets: str  # abandoned calls by how long they held on


@dataclass(frozen=True, slots=True)
class SessionRow:
    """One session (a center's day) as the page's table shows it, in Persian."""

    day: str
    center: str
    calls: str
    answered: str
    abandoned: str
    callbacks: str
    callbacks_reached: str
    speed: str
    within: str


def _tick(day: date) -> str:
    j = jalali(day)
    return fa_digits(f"{j.month:02d}/{j.day:02d}")


def _speed(s: SessionStats) -> str:
    asa = s.average_speed_of_answer
    return "—" if asa is None else seconds_text(asa)


def session_rows(level: ServiceLevel) -> list[SessionRow]:
    return [
        SessionRow(
            jalali_text(s.day),
            s.center_name or NO_CENTER,
            count_text(s.calls),
            count_text(s.answered),
            count_text(s.abandoned),
            count_text(s.callbacks),
            count_text(s.callbacks_reached),
            _speed(s),
            percent_text(s.service_level),
        )
        for s in level.sessions
    ]


def within_title(threshold_seconds: int) -> str:
    return f"پاسخ در {fa_digits(threshold_seconds)} ثانیهٔ نخست"


def service_charts(level: ServiceLevel) -> ServiceCharts:
    """Every service-level figure of the dashboard, in Persian."""
    outcomes = [
        Column(jalali_text(s.day), _tick(s.day), tuple(float(getattr(s, k)) for k, _ in OUTCOMES))
        for s in level.days
    ]
    speed = [
        Column(jalali_text(s.day), _tick(s.day), (s.average_speed_of_answer,)) for s in level.days
    ]
    within = [
        Column(
            jalali_text(s.day),
            _tick(s.day),
            (None if s.service_level is None else 100 * s.service_level,),
        )
        for s in level.days
    ]
    labels = wait_labels(ABANDON_EDGES)
    buckets = [Bar(label, n) for label, n in zip(labels, level.abandon_buckets, strict=True)]
    title = within_title(level.threshold_seconds)
    return ServiceCharts(
        outcomes=column_chart(
            "chart-service-outcomes", "پاسخ، قطع و تماس برگشتی در هر روز",
            [s for _, s in OUTCOMES], outcomes, stacked=False,
            empty="در این بازه تماسی نبوده است.", label_header=_DAY,
        ),
        speed=column_chart(
            "chart-service-speed", "میانگین زمان تا پاسخ در هر روز",
            [Series("میانگین زمان تا پاسخ", "#0072B2")], speed, stacked=False,
            empty="در این بازه به تماسی پاسخ داده نشده است.", fmt=seconds_text,
            label_header=_DAY,
        ),
        within=column_chart(
            "chart-service-within", f"سهم {title} در هر روز (از پاسخ‌داده و قطع‌شده)",
            [Series(title, "#009E73")], within, stacked=False,
            empty="در این بازه تماسی پاسخ نگرفته یا قطع نشده است.", fmt=percent_points,
            label_header=_DAY,
        ),
        abandon_buckets=bar_chart(
            "chart-abandon-buckets", "تماس‌های قطع‌شده به تفکیک مدت ماندن پشت خط", buckets,
            color="#D55E00", empty="در این بازه تماسی پیش از پاسخ قطع نشده است.",
            label_header="مدت ماندن پشت خط",
        ),
    )  # fmt: skip
