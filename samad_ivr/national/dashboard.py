"""The national dashboard's figures: `DashboardRepository.summary` as labelled charts.

Pure: the aggregates and the topic names come in, HTML (from `charts`) goes out.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from itertools import pairwise

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
from samad_ivr.storage.dashboard import WAIT_EDGES, CenterStats, Dashboard

__all__ = [
    "ANSWERS", "DISPOSITIONS", "DashboardCharts", "Tile", "center_label", "dashboard_charts",
    "seconds_text", "summary_tiles", "topic_label", "wait_labels",
]  # fmt: skip

# Okabe–Ito colours: told apart with the common colour-vision deficiencies.
DISPOSITIONS = (
    ("answered", Series("پاسخ داده شد", "#0072B2")),
    ("message", Series("پیام گذاشت", "#E69F00")),
    ("abandoned", Series("قطع پیش از پاسخ", "#D55E00")),
    ("other", Series("سایر (ناموفق، مشغول، در جریان)", "#999999")),
)
WAIT_SERIES = (Series("صدک ۹۰", "#9ecae1"), Series("میانه", "#08519c"))
ANSWERS = (
    ("on_time", Series("پاسخ به‌موقع", "#0072B2")),
    ("late", Series("پاسخ با تأخیر", "#E69F00")),
)
NO_CENTER = "بدون استان"
DAY_HEADER = "روز"
NO_TOPIC = "بدون موضوع"
OTHER_OFFICIALS = "سایر مسئولان"
NO_OFFICIAL = "بدون مسئول"


@dataclass(frozen=True, slots=True)
class DashboardCharts:
    calls: str
    waits: str
    wait_buckets: str
    officials: str
    topics: str
    answers: str  # the agencies' answers to each day's requests: on time, late
    center_rates: str  # on-time rate per province
    long_stop: str  # requests at the long stop per province


def center_label(c: CenterStats) -> str:
    return c.name or NO_CENTER


def seconds_text(value: float) -> str:
    return f"{count_text(value)} ثانیه"


def _duration(seconds: int) -> str:
    if seconds and seconds % 60 == 0:
        return f"{fa_digits(seconds // 60)} دقیقه"
    return seconds_text(seconds)


def wait_labels(edges: tuple[int, ...] = WAIT_EDGES) -> list[str]:
    """`کمتر از ۳۰ ثانیه`, `۳۰ ثانیه تا ۱ دقیقه`, …, `۵ دقیقه و بیشتر`."""
    labels = [f"کمتر از {_duration(edges[1])}"]
    labels += [f"{_duration(a)} تا {_duration(b)}" for a, b in pairwise(edges[1:])]
    return [*labels, f"{_duration(edges[-1])} و بیشتر"]


def _tick(day: date) -> str:
    j = jalali(day)
    return fa_digits(f"{j.month:02d}/{j.day:02d}")


def topic_label(topic: str | None, labels: Mapping[str, str]) -> str:
    return NO_TOPIC if topic is None else labels.get(topic, topic)


def _official_bars(d: Dashboard) -> list[Bar]:
    bars = [
        Bar(f"{o.name} ({o.center_name})" if o.center_name else o.name, o.calls)
        for o in d.officials
    ]
    if d.other_officials_calls:
        bars.append(Bar(OTHER_OFFICIALS, d.other_officials_calls))
    if d.calls_without_official:
        bars.append(Bar(NO_OFFICIAL, d.calls_without_official))
    return bars


def dashboard_charts(d: Dashboard, topic_labels: Mapping[str, str]) -> DashboardCharts:
    """Every figure of the dashboard page, in Persian."""
    calls = [
        Column(
            jalali_text(s.day), _tick(s.day), tuple(float(getattr(s, k)) for k, _ in DISPOSITIONS)
        )
        for s in d.days
    ]
    waits = [Column(jalali_text(s.day), _tick(s.day), (s.p90_wait, s.median_wait)) for s in d.days]
    buckets = [Bar(label, n) for label, n in zip(wait_labels(), d.wait_buckets, strict=True)]
    topics = [Bar(topic_label(t.topic, topic_labels), t.requests) for t in d.topics]
    answers = [
        Column(jalali_text(s.day), _tick(s.day), tuple(float(getattr(s, k)) for k, _ in ANSWERS))
        for s in d.days
    ]
    rates = [
        Bar(center_label(c), 100 * c.on_time_rate) for c in d.centers if c.on_time_rate is not None
    ]
    long_stop = [Bar(center_label(c), c.long_stop) for c in d.centers if c.long_stop]
    no_answer = "دستگاه‌ها هنوز به درخواستی از این تماس‌ها پاسخ نداده‌اند."
    return DashboardCharts(
        calls=column_chart(
            "chart-calls", "تماس‌ها در هر روز", [s for _, s in DISPOSITIONS], calls,
            stacked=True, empty="در این بازه تماسی نبوده است.", label_header=DAY_HEADER,
        ),
        waits=column_chart(
            "chart-waits", "انتظار در صف در هر روز (میانه و صدک ۹۰)", WAIT_SERIES, waits,
            stacked=False, empty="در این بازه کسی در صف انتظار نمانده است.",
            fmt=seconds_text, label_header=DAY_HEADER,
        ),
        wait_buckets=bar_chart(
            "chart-wait-buckets", "تماس‌های صف به تفکیک مدت انتظار", buckets,
            color="#08519c", empty="در این بازه کسی در صف انتظار نمانده است.",
            label_header="مدت انتظار",
        ),
        officials=bar_chart(
            "chart-officials", "تماس‌ها به تفکیک مسئول", _official_bars(d), color="#0072B2",
            empty="در این بازه تماسی نبوده است.", label_header="مسئول",
        ),
        topics=bar_chart(
            "chart-topics", "درخواست‌ها به تفکیک موضوع", topics, color="#0b6e4f",
            empty="در این بازه درخواستی ثبت نشده است.", label_header="موضوع",
        ),
        answers=column_chart(
            "chart-answers", "پاسخ دستگاه‌ها به درخواست‌های هر روز", [s for _, s in ANSWERS],
            answers, stacked=True, empty=no_answer, label_header=DAY_HEADER,
        ),
        center_rates=bar_chart(
            "chart-center-rates", "نرخ پاسخ به‌موقع هر استان (از پاسخ‌ها)", rates,
            color="#0072B2", empty=no_answer, fmt=percent_points, label_header="استان",
            value_header="نرخ پاسخ به‌موقع",
        ),
        long_stop=bar_chart(
            "chart-long-stop", "درخواست‌های رسیده به توقف نهایی (باز) در هر استان", long_stop,
            color="#D55E00", empty="هیچ درخواست بازی به توقف نهایی نرسیده است.",
            label_header="استان",
        ),
    )  # fmt: skip


@dataclass(frozen=True, slots=True)
class Tile:
    label: str
    value: str
    share: str = ""  # of all calls, e.g. "۶۷٪"


def summary_tiles(d: Dashboard) -> list[Tile]:
    """The headline numbers above the charts."""
    calls = d.total("calls")

    def share(n: int) -> str:
        return f"{fa_digits(round(100 * n / calls))}٪" if calls else ""

    tiles = [Tile("تماس", count_text(calls))]
    tiles += [
        Tile(s.label, count_text(d.total(k)), share(d.total(k)))
        for k, s in DISPOSITIONS
        if k != "other"
    ]
    return [
        *tiles,
        Tile("در صف منتظر ماندند", count_text(d.total("waited"))),
        Tile("پاسخ به‌موقع دستگاه‌ها", percent_text(d.on_time_rate)),
        Tile("در توقف نهایی (باز)", count_text(d.total("long_stop"))),
    ]
