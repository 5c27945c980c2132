"""The agency report's figures for people: labels, Persian numbers, the charts.

Pure: an `AgencyReport` comes in, text and HTML (from `charts`) go out.  The same
`COLUMNS` order is used by the page's tables, the CSV and the API's field names.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from samad_ivr.admin.jalali import fa_digits
from samad_ivr.national.charts import (
    Bar,
    Series,
    StackedBar,
    bar_chart,
    count_text,
    percent_points,
    percent_text,
    stacked_bar_chart,
)
from samad_ivr.storage.agency_reports import AgencyReport, AgencyRow, Figures, TopicRow

__all__ = [
    "COLUMNS", "NO_AGENCY", "NO_TOPIC", "OUTCOMES", "Column", "ReportCharts", "agency_label",
    "days_text", "report_charts", "topic_label",
]  # fmt: skip

NO_AGENCY = "ارجاع‌نشده به دستگاه"
NO_TOPIC = "بدون موضوع"
UNKNOWN_AGENCY = "دستگاه ناشناخته"

# Okabe–Ito colours, as on the dashboard.  The four parts add up to the requests.
OUTCOMES = (
    ("on_time", Series("پاسخ به‌موقع", "#0072B2")),
    ("late", Series("پاسخ با تأخیر", "#E69F00")),
    ("overdue", Series("مهلت گذشته، بی‌پاسخ", "#D55E00")),
    ("unanswered_in_time", Series("بی‌پاسخ در مهلت یا بسته بی‌پاسخ", "#999999")),
)


def days_text(days: float | None) -> str:
    """`۵٫۵ روز` (one decimal, the Persian decimal separator); `—` when unknown."""
    if days is None:
        return "—"
    return f"{fa_digits(f'{days:.1f}').replace('.', '٫')} روز"


def _days(value: float) -> str:
    return days_text(value)


@dataclass(frozen=True, slots=True)
class Column:
    """One figure of a report row: its header, its value (raw, for CSV and the API) and
    how a page writes it."""

    key: str
    header: str
    value: Callable[[Figures], int | float | None]
    text: Callable[[int | float | None], str]


def _count(value: int | float | None) -> str:
    return count_text(value or 0)


def _share(value: int | float | None) -> str:
    return percent_text(None if value is None else float(value))


def _median(value: int | float | None) -> str:
    return days_text(None if value is None else float(value))


COLUMNS = (
    Column("requests", "درخواست‌ها", lambda f: f.requests, _count),
    Column("answered_on_time", "پاسخ به‌موقع", lambda f: f.on_time, _count),
    Column("answered_late", "پاسخ با تأخیر", lambda f: f.late, _count),
    Column("open", "باز", lambda f: f.open, _count),
    Column("overdue_now", "گذشته از مهلت (اکنون)", lambda f: f.overdue, _count),
    Column("median_days_to_answer", "میانهٔ روزهای پاسخ", lambda f: f.median_days, _median),
    Column("reopened_share", "سهم بازگشایی‌شده", lambda f: f.reopened_share, _share),
    Column("on_time_rate", "نرخ پاسخ به‌موقع", lambda f: f.on_time_rate, _share),
)


def agency_label(row: AgencyRow, *, with_center: bool) -> str:
    if row.agency_id is None:
        return NO_AGENCY
    name = row.name or UNKNOWN_AGENCY
    return f"{name} ({row.center_name})" if with_center and row.center_name else name


def topic_label(row: TopicRow) -> str:
    if row.topic is None:
        return NO_TOPIC
    return row.name or row.topic


@dataclass(frozen=True, slots=True)
class ReportCharts:
    agencies: str
    agency_rates: str
    agency_medians: str
    topics: str


def _outcomes(label: str, f: Figures) -> StackedBar:
    return StackedBar(label, tuple(float(getattr(f, key)) for key, _ in OUTCOMES))


def report_charts(report: AgencyReport, *, with_center: bool) -> ReportCharts:
    """Every figure of the report page, in Persian."""
    agencies = [(agency_label(a, with_center=with_center), a.figures) for a in report.agencies]
    series = [s for _, s in OUTCOMES]
    rates = [
        Bar(label, 100 * f.on_time_rate) for label, f in agencies if f.on_time_rate is not None
    ]
    medians = [Bar(label, f.median_days) for label, f in agencies if f.median_days is not None]
    topics = [_outcomes(topic_label(t), t.figures) for t in report.topics]
    no_requests = "در این بازه درخواستی ثبت نشده است."
    nothing_answered = "در این بازه هنوز به درخواستی پاسخ داده نشده است."
    return ReportCharts(
        agencies=stacked_bar_chart(
            "chart-agencies", "درخواست‌های هر دستگاه به تفکیک سرانجام", series,
            [_outcomes(label, f) for label, f in agencies], empty=no_requests,
            label_header="دستگاه",
        ),
        agency_rates=bar_chart(
            "chart-agency-rates", "نرخ پاسخ به‌موقع هر دستگاه (از پاسخ‌ها)", rates,
            color="#0072B2", empty=nothing_answered, fmt=percent_points, label_header="دستگاه",
            value_header="نرخ پاسخ به‌موقع",
        ),
        agency_medians=bar_chart(
            "chart-agency-medians", "میانهٔ روزهای پاسخ هر دستگاه", medians, color="#08519c",
            empty=nothing_answered, fmt=_days, label_header="دستگاه", value_header="میانه",
        ),
        topics=stacked_bar_chart(
            "chart-topics", "درخواست‌های هر موضوع به تفکیک سرانجام", series, topics,
            empty=no_requests, label_header="موضوع",
        ),
    )  # fmt: skip
