"""Accessible charts as inline SVG, drawn on the server: no script, no external assets.

Each chart is a `<figure>`: a caption; an `<svg role="img">` whose <title> and <desc> say
what it shows and in which every bar carries its own <title> (the tooltip); beneath it
the same numbers as a table (in a `div.chart-data`, which the page hides visually unless
the reader asks for numbers), for screen readers and for people who prefer numbers.
With nothing to draw the figure holds a sentence instead of an empty picture.

Right to left: the first column stands at the right and horizontal bars grow leftwards
from their labels; numbers are written with Persian digits.  Every text is escaped here,
since labels come from the database (officials' names are typed by admins).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape

from samad_ivr.admin.jalali import fa_digits

__all__ = [
    "Bar", "Column", "Series", "StackedBar", "bar_chart", "column_chart", "count_text",
    "nice_axis", "percent_points", "percent_text", "stacked_bar_chart",
]  # fmt: skip

Format = Callable[[float], str]

COLUMN_WIDTH, COLUMN_HEIGHT = 900, 260
BAR_WIDTH, BAR_ROW = 480, 28
_TOP, _BOTTOM, _AXIS, _LEFT = 18, 34, 64, 8
_LABEL_WIDTH, _VALUE_WIDTH, _LABEL_CHARS = 180, 56, 28
_GRID, _INK, _MUTED = "#d9dde5", "#1d2330", "#5b6475"
_MAX_TICKS = 12  # labels under the columns, at most
_VALUES_UP_TO = 31  # stacked columns that still have room for their total above them


@dataclass(frozen=True, slots=True)
class Series:
    label: str
    color: str  # a colour of ours, never user input


@dataclass(frozen=True, slots=True)
class Column:
    label: str  # in tooltips and the table
    tick: str  # under the axis
    values: tuple[float | None, ...]  # one per series; None: no value that day


@dataclass(frozen=True, slots=True)
class Bar:
    label: str
    value: float


@dataclass(frozen=True, slots=True)
class StackedBar:
    label: str
    values: tuple[float, ...]  # one per series, in the series' order


def count_text(value: float) -> str:
    """A count in Persian digits with the Persian thousands separator."""
    return fa_digits(f"{round(value):,}".replace(",", "٬"))


def percent_text(share: float | None) -> str:
    """A share (0..1) as `۶۷٪`; `—` when there is nothing to divide."""
    return "—" if share is None else f"{fa_digits(round(100 * share))}٪"


def percent_points(value: float) -> str:
    """A chart value in percentage points (0..100) as `۶۷٪`."""
    return percent_text(value / 100)


def nice_axis(peak: float, ticks: int = 4) -> tuple[float, float]:
    """(top, step): an axis from 0 to `top` >= `peak` in about `ticks` round steps
    (1, 2 or 5 times a power of ten, at least 1)."""
    if peak <= 0:
        return 1.0, 1.0
    raw = peak / ticks
    magnitude = 10.0 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)
    step = max(step, 1.0)
    return step * math.ceil(peak / step - 1e-9), step


def _e(text: str) -> str:
    return escape(text, quote=True)


def _n(value: float) -> str:
    """A coordinate: two decimals, no trailing zeros."""
    return f"{value:.2f}".rstrip("0").rstrip(".")


def _short(label: str) -> str:
    return label if len(label) <= _LABEL_CHARS else label[: _LABEL_CHARS - 1] + "…"


def _figure(chart_id: str, title: str, body: str) -> str:
    return (
        f'<figure class="chart" id="{_e(chart_id)}">'
        f'<figcaption id="{_e(chart_id)}-caption">{_e(title)}</figcaption>{body}</figure>'
    )


def _empty(chart_id: str, title: str, empty: str) -> str:
    return _figure(chart_id, title, f'<p class="chart-empty" role="status">{_e(empty)}</p>')


def _svg(chart_id: str, title: str, summary: str, width: int, height: int, body: str) -> str:
    cid = _e(chart_id)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart-svg" role="img" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" direction="rtl" '
        f'font-size="12" fill="{_INK}" aria-labelledby="{cid}-title {cid}-desc">'
        f'<title id="{cid}-title">{_e(title)}</title><desc id="{cid}-desc">{_e(summary)}</desc>'
        f"{body}</svg>"
    )


def _table(title: str, header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    head = "".join(f'<th scope="col">{_e(h)}</th>' for h in header)
    body = "".join(
        f'<tr><th scope="row">{_e(row[0])}</th>{"".join(f"<td>{_e(c)}</td>" for c in row[1:])}</tr>'
        for row in rows
    )
    # A table's height follows its rows, so the wrapper is what gets hidden.
    return (
        f'<div class="chart-data"><table><caption>{_e(title)}</caption>'
        f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>"
    )


def _legend(series: Sequence[Series]) -> str:
    items = "".join(
        f'<li><svg width="12" height="12" aria-hidden="true"><rect width="12" height="12" '
        f'fill="{_e(s.color)}"/></svg> {_e(s.label)}</li>'
        for s in series
    )
    return f'<ul class="chart-legend">{items}</ul>'


def _rect(x: float, y: float, w: float, h: float, color: str, value: float, tip: str) -> str:
    return (
        f'<rect x="{_n(x)}" y="{_n(y)}" width="{_n(w)}" height="{_n(h)}" fill="{_e(color)}" '
        f'data-value="{_n(value)}"><title>{_e(tip)}</title></rect>'
    )


def _text(x: float, y: float, text: str, anchor: str, extra: str = "") -> str:
    # direction="rtl": anchor "start" is the text's right edge, "end" its left edge.
    return f'<text x="{_n(x)}" y="{_n(y)}" text-anchor="{anchor}"{extra}>{_e(text)}</text>'


def column_chart(
    chart_id: str,
    title: str,
    series: Sequence[Series],
    columns: Sequence[Column],
    *,
    stacked: bool,
    empty: str,
    fmt: Format = count_text,
    label_header: str = "",
) -> str:
    """Columns right to left, one per `columns` item: its series stacked (`stacked`) or
    drawn over each other from the baseline, each narrower than the one before (values
    that nest, such as a median inside the 90th percentile)."""
    sizes = [
        sum(v or 0.0 for v in c.values) if stacked else max((v or 0.0 for v in c.values), default=0)
        for c in columns
    ]
    if not columns or max(sizes) <= 0:
        return _empty(chart_id, title, empty)
    top, step = nice_axis(max(sizes))
    base, plot_h = COLUMN_HEIGHT - _BOTTOM, COLUMN_HEIGHT - _BOTTOM - _TOP
    right, plot_w = COLUMN_WIDTH - _AXIS, COLUMN_WIDTH - _AXIS - _LEFT
    slot = plot_w / len(columns)
    gap = slot * 0.2
    parts: list[str] = []
    for tick in range(round(top / step) + 1):
        y = base - tick * step / top * plot_h
        parts.append(
            f'<line x1="{_LEFT}" x2="{right}" y1="{_n(y)}" y2="{_n(y)}" stroke="{_GRID}"/>'
        )
        parts.append(_text(right + 6, y + 4, fmt(tick * step), "end", f' fill="{_MUTED}"'))
    every = math.ceil(len(columns) / _MAX_TICKS)
    for i, (column, size) in enumerate(zip(columns, sizes, strict=True)):
        x0 = right - slot * (i + 1) + gap / 2
        width = slot - gap
        stack = 0.0
        for k, (s, value) in enumerate(zip(series, column.values, strict=True)):
            if not value:
                continue
            h = value / top * plot_h
            shrink = 0.0 if stacked else width * 0.4 * k / max(1, len(series) - 1) / 2
            y = base - stack - h
            tip = f"{column.label} — {s.label}: {fmt(value)}"
            parts.append(_rect(x0 + shrink, y, width - 2 * shrink, h, s.color, value, tip))
            stack += h if stacked else 0.0
        middle = x0 + width / 2
        if stacked and len(columns) <= _VALUES_UP_TO:
            y = base - size / top * plot_h - 4
            parts.append(_text(middle, y, fmt(size), "middle", ' font-size="10"'))
        if i % every == 0:
            parts.append(_text(middle, base + 18, column.tick, "middle", f' fill="{_MUTED}"'))
    parts.append(f'<line x1="{_LEFT}" x2="{right}" y1="{base}" y2="{base}" stroke="{_MUTED}"/>')
    summary = _columns_summary(series, columns, sizes, stacked=stacked, fmt=fmt)
    header = [label_header, *(s.label for s in series)] + (["جمع"] if stacked else [])
    rows = [
        [c.label, *("—" if v is None else fmt(v) for v in c.values)]
        + ([fmt(size)] if stacked else [])
        for c, size in zip(columns, sizes, strict=True)
    ]
    svg = _svg(chart_id, title, summary, COLUMN_WIDTH, COLUMN_HEIGHT, "".join(parts))
    return _figure(chart_id, title, _legend(series) + svg + _table(title, header, rows))


def _columns_summary(
    series: Sequence[Series],
    columns: Sequence[Column],
    sizes: Sequence[float],
    *,
    stacked: bool,
    fmt: Format,
) -> str:
    """The chart in a sentence: totals per series (stacked) or each series' highest, and
    the highest column."""
    if stacked:
        totals = [sum(c.values[k] or 0.0 for c in columns) for k in range(len(series))]
        text = f"مجموع {fmt(sum(totals))}: " + "، ".join(
            f"{s.label} {fmt(t)}" for s, t in zip(series, totals, strict=True)
        )
    else:
        text = "؛ ".join(
            f"بیشترین {s.label} {fmt(max(c.values[k] or 0.0 for c in columns))}"
            for k, s in enumerate(series)
        )
    peak = columns[sizes.index(max(sizes))]
    return text + f"؛ بیشینه در {peak.label} ({fmt(max(sizes))})."


def bar_chart(
    chart_id: str,
    title: str,
    bars: Sequence[Bar],
    *,
    color: str,
    empty: str,
    fmt: Format = count_text,
    label_header: str = "",
    value_header: str = "تعداد",
) -> str:
    """Horizontal bars, one row per `bars` item in the given order, labels at the right
    (cut to `_LABEL_CHARS` characters; the tooltip and the table have them whole)."""
    if not bars or max(b.value for b in bars) <= 0:
        return _empty(chart_id, title, empty)
    peak = max(b.value for b in bars)
    height = _TOP + len(bars) * BAR_ROW
    edge = BAR_WIDTH - _LABEL_WIDTH
    room = edge - _VALUE_WIDTH - _LEFT
    parts: list[str] = []
    for i, bar in enumerate(bars):
        y = _TOP / 2 + i * BAR_ROW
        length = bar.value / peak * room
        tip = f"{bar.label}: {fmt(bar.value)}"
        parts.append(_text(BAR_WIDTH - 4, y + BAR_ROW / 2 + 4, _short(bar.label), "start"))
        if length > 0:
            parts.append(_rect(edge - length, y + 4, length, BAR_ROW - 8, color, bar.value, tip))
        parts.append(_text(edge - length - 6, y + BAR_ROW / 2 + 4, fmt(bar.value), "start"))
    parts.append(
        f'<line x1="{edge}" x2="{edge}" y1="{_TOP / 2}" y2="{height - _TOP / 2}" '
        f'stroke="{_MUTED}"/>'
    )
    top = max(bars, key=lambda b: b.value)
    summary = (
        f"{count_text(len(bars))} ردیف؛ بیشترین {top.label} با {fmt(top.value)}، "
        f"مجموع {fmt(sum(b.value for b in bars))}."
    )
    rows = [[b.label, fmt(b.value)] for b in bars]
    svg = _svg(chart_id, title, summary, BAR_WIDTH, height, "".join(parts))
    table = _table(title, [label_header, value_header], rows)
    return _figure(chart_id, title, svg + table)


def stacked_bar_chart(
    chart_id: str,
    title: str,
    series: Sequence[Series],
    bars: Sequence[StackedBar],
    *,
    empty: str,
    fmt: Format = count_text,
    label_header: str = "",
) -> str:
    """Horizontal bars, one row per `bars` item, each its series stacked leftwards from
    the label (the first series nearest the label); the row's total at its end."""
    totals = [sum(b.values) for b in bars]
    if not bars or max(totals) <= 0:
        return _empty(chart_id, title, empty)
    peak = max(totals)
    height = _TOP + len(bars) * BAR_ROW
    edge = BAR_WIDTH - _LABEL_WIDTH
    room = edge - _VALUE_WIDTH - _LEFT
    parts: list[str] = []
    for i, (bar, total) in enumerate(zip(bars, totals, strict=True)):
        y = _TOP / 2 + i * BAR_ROW
        parts.append(_text(BAR_WIDTH - 4, y + BAR_ROW / 2 + 4, _short(bar.label), "start"))
        x = float(edge)
        for s, value in zip(series, bar.values, strict=True):
            if value <= 0:
                continue
            length = value / peak * room
            tip = f"{bar.label} — {s.label}: {fmt(value)}"
            parts.append(_rect(x - length, y + 4, length, BAR_ROW - 8, s.color, value, tip))
            x -= length
        parts.append(_text(x - 6, y + BAR_ROW / 2 + 4, fmt(total), "start"))
    parts.append(
        f'<line x1="{edge}" x2="{edge}" y1="{_TOP / 2}" y2="{height - _TOP / 2}" '
        f'stroke="{_MUTED}"/>'
    )
    sums = [sum(b.values[k] for b in bars) for k in range(len(series))]
    top = bars[totals.index(peak)]
    summary = (
        f"{count_text(len(bars))} ردیف؛ مجموع {fmt(sum(sums))}: "
        + "، ".join(f"{s.label} {fmt(t)}" for s, t in zip(series, sums, strict=True))
        + f"؛ بیشترین {top.label} با {fmt(peak)}."
    )
    header = [label_header, *(s.label for s in series), "جمع"]
    rows = [
        [b.label, *(fmt(v) for v in b.values), fmt(t)] for b, t in zip(bars, totals, strict=True)
    ]
    svg = _svg(chart_id, title, summary, BAR_WIDTH, height, "".join(parts))
    return _figure(chart_id, title, _legend(series) + svg + _table(title, header, rows))
