"""The dashboard's SVG charts: proportions, right-to-left order, empty ranges, escaping,
and the accessible parts (title, description, data table)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import date, timedelta
from typing import Any

import pytest

from samad_ivr.national.charts import (
    COLUMN_HEIGHT,
    Bar,
    Column,
    Series,
    bar_chart,
    column_chart,
    count_text,
    nice_axis,
)
from samad_ivr.national.dashboard import dashboard_charts, summary_tiles, wait_labels
from samad_ivr.storage.dashboard import Dashboard, DayStats, OfficialStats, TopicStats

SVG = "{http://www.w3.org/2000/svg}"
HOSTILE = '<script>alert("x")</script> & co'
TWO = [Series("پاسخ", "#0072B2"), Series("پیام", "#E69F00")]
PLOT_HEIGHT = COLUMN_HEIGHT - 34 - 18  # the drawing's top and bottom margins


def parse(html: str) -> ET.Element:
    """The figure as XML: also proves the markup is well formed after escaping."""
    return ET.fromstring(html)


def rects(figure: ET.Element) -> list[ET.Element]:
    return [r for r in figure.iter(f"{SVG}rect") if "data-value" in r.attrib]


def geometry(rect: ET.Element, name: str) -> float:
    return float(rect.attrib[name])


def about(value: float) -> Any:
    """Coordinates are written with two decimals."""
    return pytest.approx(value, abs=0.02)


@pytest.mark.parametrize(
    ("peak", "axis"),
    [(0, (1, 1)), (1, (1, 1)), (4, (4, 1)), (7, (8, 2)), (45, (60, 20)), (1234, (1500, 500))],
)
def test_axis_tops_are_round_and_cover_the_peak(peak: float, axis: tuple[float, float]) -> None:
    assert nice_axis(peak) == axis


def test_counts_are_written_with_persian_digits_and_separator() -> None:
    assert count_text(1234) == "۱٬۲۳۴"
    assert count_text(0) == "۰"


def test_stacked_columns_are_proportional_and_stack_without_gaps() -> None:
    columns = [Column("روز ۱", "۱", (2, 1)), Column("روز ۲", "۲", (4, 0))]
    figure = parse(column_chart("c", "تماس‌ها", TWO, columns, stacked=True, empty="هیچ"))
    first_answered, first_message, second_answered = rects(figure)
    # axis 0..4: a count of 4 fills the plot, 2 half of it, 1 a quarter
    assert geometry(second_answered, "height") == about(PLOT_HEIGHT)
    assert geometry(first_answered, "height") == about(PLOT_HEIGHT / 2)
    assert geometry(first_message, "height") == about(PLOT_HEIGHT / 4)
    top_of_answered = geometry(first_answered, "y")
    assert geometry(first_message, "y") + geometry(first_message, "height") == about(
        top_of_answered
    )
    assert first_message.findtext(f"{SVG}title") == "روز ۱ — پیام: ۱"
    # right to left: the first day stands to the right of the second
    assert geometry(first_answered, "x") > geometry(second_answered, "x")


def test_overlaid_columns_nest_the_later_series_inside_the_earlier() -> None:
    columns = [Column("روز ۱", "۱", (300, 60)), Column("روز ۲", "۲", (None, None))]
    html = column_chart("w", "انتظار", TWO, columns, stacked=False, empty="هیچ")
    p90, median = rects(parse(html))
    assert geometry(median, "height") == about(geometry(p90, "height") / 5)
    assert geometry(median, "width") < geometry(p90, "width")
    assert geometry(median, "x") > geometry(p90, "x")
    cells = [td.text for td in parse(html).iter("td")]
    assert cells == ["۳۰۰", "۶۰", "—", "—"]


@pytest.mark.parametrize("values", [[], [(0, 0), (None, 0)]])
def test_an_empty_range_is_a_sentence_not_a_broken_picture(
    values: list[tuple[float | None, ...]],
) -> None:
    columns = [Column(f"روز {i}", str(i), v) for i, v in enumerate(values)]
    html = column_chart("c", "تماس‌ها", TWO, columns, stacked=True, empty="تماسی نبوده است.")
    figure = parse(html)
    assert figure.find(f"{SVG}svg") is None
    assert figure.findtext("p") == "تماسی نبوده است."
    bars = parse(bar_chart("b", "مسئولان", [], color="#000", empty="هیچ"))
    assert bars.findtext("p") == "هیچ"


def test_horizontal_bars_are_proportional_and_grow_leftwards_from_their_labels() -> None:
    bars = [Bar("علی", 3), Bar("رضا", 1), Bar("بی‌تماس", 0)]
    figure = parse(bar_chart("b", "مسئولان", bars, color="#0072B2", empty="هیچ"))
    ali, reza = rects(figure)
    assert geometry(ali, "width") == about(3 * geometry(reza, "width"))
    # both end at the label column: they grow from the same right edge
    assert geometry(ali, "x") + geometry(ali, "width") == about(
        geometry(reza, "x") + geometry(reza, "width")
    )
    assert ali.findtext(f"{SVG}title") == "علی: ۳"
    rows = [[c.text for c in tr] for tr in figure.iter("tr")]
    assert rows[1:] == [["علی", "۳"], ["رضا", "۱"], ["بی‌تماس", "۰"]]


def test_hostile_labels_are_escaped_everywhere_and_kept_whole_in_tooltip_and_table() -> None:
    long_hostile = HOSTILE + " " + "ن" * 40
    columns = [Column(HOSTILE, HOSTILE, (1, 1))]
    for html in (
        bar_chart("b", HOSTILE, [Bar(long_hostile, 2)], color="#000", empty="هیچ"),
        column_chart("c", HOSTILE, [Series(HOSTILE, "#000")] * 2, columns, stacked=True,
                     empty="هیچ"),
    ):  # fmt: skip
        assert "<script>" not in html
        assert "&lt;script&gt;" in html
        figure = parse(html)
        texts = [e.text or "" for e in figure.iter()]
        assert HOSTILE in texts  # caption, title, table: the name reads as typed
    bar = parse(bar_chart("b", "t", [Bar(long_hostile, 2)], color="#000", empty="هیچ"))
    label = next(t.text for t in bar.iter(f"{SVG}text") if t.text and "script" in t.text)
    assert label is not None
    assert label.endswith("…")
    assert len(label) == 28
    assert rects(bar)[0].findtext(f"{SVG}title") == f"{long_hostile}: ۲"


def test_each_chart_names_itself_for_screen_readers_and_carries_its_numbers() -> None:
    columns = [Column("۱۴۰۴/۰۱/۰۱", "۰۱/۰۱", (5, 2)), Column("۱۴۰۴/۰۱/۰۲", "۰۱/۰۲", (1, 0))]
    figure = parse(column_chart("calls", "تماس‌ها", TWO, columns, stacked=True, empty="هیچ",
                                label_header="روز"))  # fmt: skip
    svg = figure.find(f"{SVG}svg")
    assert svg is not None
    assert svg.attrib["role"] == "img"
    assert svg.attrib["aria-labelledby"] == "calls-title calls-desc"
    assert svg.findtext(f"{SVG}title") == "تماس‌ها"
    desc = svg.findtext(f"{SVG}desc") or ""
    assert "مجموع ۸" in desc
    assert "بیشینه در ۱۴۰۴/۰۱/۰۱ (۷)" in desc
    table = figure.find("div[@class='chart-data']/table")
    assert table is not None
    assert table.findtext("caption") == "تماس‌ها"
    assert [th.text for th in table.iter("th")][:4] == ["روز", "پاسخ", "پیام", "جمع"]
    first_row = table.find("tbody/tr")
    assert first_row is not None
    assert [c.text for c in first_row] == ["۱۴۰۴/۰۱/۰۱", "۵", "۲", "۷"]


def test_dashboard_figures_label_officials_topics_and_waits_in_persian() -> None:
    first = date(2025, 3, 21)
    d = Dashboard(
        days=(DayStats(first, 3, 2, 1, 0, 2, 40.0, 90.0), DayStats(first + timedelta(days=1))),
        wait_buckets=(1, 0, 1, 0, 0),
        officials=(OfficialStats(7, HOSTILE, "همدان", 2, 2),),
        other_officials_calls=0,
        calls_without_official=1,
        topics=(TopicStats("housing", 2), TopicStats(None, 1)),
    )
    charts = dashboard_charts(d, {"housing": "مسکن"})
    assert "۱۴۰۴/۰۱/۰۱ — پاسخ داده شد: ۲" in charts.calls
    assert "۱۴۰۴/۰۱/۰۱ — میانه: ۴۰ ثانیه" in charts.waits
    assert "&lt;script&gt;" in charts.officials
    assert "(همدان)" in charts.officials
    assert "بدون مسئول" in charts.officials
    assert "مسکن: ۲" in charts.topics
    assert "بدون موضوع: ۱" in charts.topics
    assert "کمتر از ۳۰ ثانیه: ۱" in charts.wait_buckets
    tiles = [(t.label, t.value, t.share) for t in summary_tiles(d)]
    assert tiles[:2] == [("تماس", "۳", ""), ("پاسخ داده شد", "۲", "۶۷٪")]


def test_an_empty_dashboard_says_so_in_every_figure() -> None:
    day = date(2025, 3, 21)
    d = Dashboard((DayStats(day),), (0, 0, 0, 0, 0), (), 0, 0, ())
    charts = dashboard_charts(d, {})
    for html in (charts.calls, charts.waits, charts.wait_buckets, charts.officials, charts.topics):
        assert "<svg" not in html
        assert "در این بازه" in html
    assert summary_tiles(d)[1].share == ""


def test_wait_buckets_are_named_in_seconds_and_minutes() -> None:
    assert wait_labels() == [
        "کمتر از ۳۰ ثانیه", "۳۰ ثانیه تا ۱ دقیقه", "۱ دقیقه تا ۲ دقیقه",
        "۲ دقیقه تا ۵ دقیقه", "۵ دقیقه و بیشتر",
    ]  # fmt: skip
