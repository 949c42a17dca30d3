"""Charts for the command-room screen, drawn on the server as inline SVG.

No chart library and no CDN: the page stays within its Content-Security-Policy and works on
an offline government network. Every label passes through format_html, so a scenario or
township name can never inject markup.
"""

import datetime as dt
from collections.abc import Sequence

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

PALETTE = ("#1565c0", "#ef6c00", "#2e7d32", "#6a1b9a", "#00838f", "#ad1457", "#5d4037", "#546e7a")


def _svg(width: int, height: int, title: str, body: SafeString) -> SafeString:
    """The chart with its title visible above it (a wall screen has no tooltips)."""
    return format_html(
        '<figcaption class="chart-title">{}</figcaption>'
        '<svg class="chart" viewBox="0 0 {} {}" role="img" aria-label="{}" '
        'xmlns="http://www.w3.org/2000/svg"><title>{}</title>{}</svg>',
        title,
        width,
        height,
        title,
        title,
        body,
    )


def stacked_days(title: str, days: Sequence[dt.date], series: dict[str, list[int]]) -> SafeString:
    """Cases per day, one stacked bar per day, one colour per scenario, with a legend."""
    width, height, left, bottom, top = 720, 260, 36, 40, 16
    plot_w, plot_h = width - left - 8, height - bottom - top
    totals = [sum(values[i] for values in series.values()) for i in range(len(days))]
    peak = max([*totals, 1])
    slot = plot_w / max(len(days), 1)
    parts: list[SafeString] = []
    for frac in (0.5, 1.0):  # grid lines with their values
        y = top + plot_h * (1 - frac)
        parts.append(
            format_html(
                '<line x1="{}" x2="{}" y1="{}" y2="{}" stroke="#ddd"/>'
                '<text x="{}" y="{}" class="axis" text-anchor="end">{}</text>',
                left,
                width - 8,
                _n(y),
                _n(y),
                left - 4,
                _n(y + 4),
                _number(peak * frac),
            )
        )
    for i, day in enumerate(days):
        base: float = top + plot_h
        x = left + i * slot + slot * 0.15
        for colour, (name, values) in zip(PALETTE * 4, series.items(), strict=False):
            if not values[i]:
                continue
            h = plot_h * values[i] / peak
            base -= h
            parts.append(
                format_html(
                    '<rect x="{}" y="{}" width="{}" height="{}" fill="{}">'
                    "<title>{} {}{}{}</title></rect>",
                    _n(x),
                    _n(base),
                    _n(slot * 0.7),
                    _n(h),
                    colour,
                    day.strftime("%m-%d"),
                    name,
                    _("："),
                    values[i],
                )
            )
        if i % 5 == 0 or i == len(days) - 1:
            parts.append(
                format_html(
                    '<text x="{}" y="{}" class="axis" text-anchor="middle">{}</text>',
                    _n(x + slot * 0.35),
                    top + plot_h + 14,
                    day.strftime("%m-%d"),
                )
            )
    legend = format_html_join(
        "",
        '<rect x="{}" y="{}" width="10" height="10" fill="{}"/><text x="{}" y="{}" class="legend">{}</text>',
        (
            (left + k * 130, height - 14, colour, left + k * 130 + 14, height - 5, name)
            for k, (colour, name) in enumerate(zip(PALETTE * 4, series, strict=False))
        ),
    )
    return _svg(width, height, title, mark_safe("".join(parts)) + legend)  # noqa: S308  (parts are format_html output)


def horizontal_bars(
    title: str, items: Sequence[tuple[str, float | None]], *, scale: float, unit: str = ""
) -> SafeString:
    """One labelled bar per item, its length value/scale; None shows as "no data yet"."""
    row, label_w, width = 26, 150, 720
    height = max(len(items), 1) * row + 8
    bar_w = width - label_w - 70
    parts = []
    for i, (label, value) in enumerate(items):
        y = 4 + i * row
        parts.append(
            format_html(
                '<text x="{}" y="{}" class="label" text-anchor="end">{}</text>',
                label_w - 6,
                y + 16,
                label,
            )
        )
        if value is None:
            parts.append(
                format_html(
                    '<text x="{}" y="{}" class="muted">{}</text>',
                    label_w + 4,
                    y + 16,
                    _("暂无数据"),
                )
            )
            continue
        length = bar_w * max(0.0, min(value / scale, 1.0)) if scale else 0
        parts.append(
            format_html(
                '<rect x="{}" y="{}" width="{}" height="18" fill="{}"/>'
                '<text x="{}" y="{}" class="value">{}{}</text>',
                label_w,
                y + 3,
                _n(length),
                PALETTE[0],
                _n(label_w + length + 6),
                y + 16,
                _number(value),
                unit,
            )
        )
    if not items:
        parts.append(format_html('<text x="8" y="20" class="muted">{}</text>', _("暂无数据")))
    return _svg(width, height, title, mark_safe("".join(parts)))  # noqa: S308  (format_html output)


def _n(value: float) -> str:
    """A coordinate, one decimal (format_html escapes before formatting, so numbers go as text)."""
    return f"{value:.1f}"


def _number(value: float) -> str:
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.1f}"
