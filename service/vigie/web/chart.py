"""The SLI around an incident as an inline SVG (pure, server-side, no JavaScript).

The bad-event ratio per minute is drawn as a line, the SLO's error budget as a dashed threshold,
the incident's impact as a shaded band, and the alert as a vertical mark. Every value is a number
computed here; the only text is the labels, escaped.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from html import escape

from vigie.reports.model import DEFAULT_TIMEZONE, Locale
from vigie.reports.queries import Minute
from vigie.reports.texts import percent, zone

WIDTH, HEIGHT = 720, 220
LEFT, RIGHT, TOP, BOTTOM = 48, 12, 12, 28


def sli_chart(
    minutes: Sequence[Minute],
    start: datetime,
    end: datetime,
    impact: tuple[datetime, datetime],
    opened: datetime,
    error_budget: float,
    *,
    title: str,
    description: str,
    tz: str = DEFAULT_TIMEZONE,
    locale: Locale = "en",
) -> str:
    """SVG of the bad-event ratio over ``[start, end)``; ``impact`` shaded, ``opened`` marked;
    the time axis in the zone ``tz`` (UTC in the labels' tooltips)."""
    span = max((end - start).total_seconds(), 60.0)
    ratios = [m.bad / m.total for m in minutes if m.total]
    top = max([error_budget * 2, *ratios]) or 1.0
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x(moment: datetime) -> float:
        seconds = min(max((moment - start).total_seconds(), 0.0), span)
        return round(LEFT + plot_w * seconds / span, 1)

    def y(ratio: float) -> float:
        return round(TOP + plot_h * (1 - min(ratio, top) / top), 1)

    dated = span > 86400  # over a day: the axis labels need the date
    points = " ".join(f"{x(m.at)},{y(m.bad / m.total)}" for m in minutes if m.total)
    band_x, band_end = x(impact[0]), x(impact[1])
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-labelledby="chart-title chart-desc" class="chart">',
        f'<title id="chart-title">{escape(title)}</title>',
        f'<desc id="chart-desc">{escape(description)}</desc>',
        f'<rect x="{LEFT}" y="{TOP}" width="{plot_w}" height="{plot_h}" fill="#ffffff" '
        'stroke="#595959"/>',
        f'<rect x="{band_x}" y="{TOP}" width="{max(band_end - band_x, 1.0)}" height="{plot_h}" '
        'fill="#f6d5d1"/>',
        f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y(error_budget)}" y2="{y(error_budget)}" '
        'stroke="#8a4b00" stroke-dasharray="6 4"/>',
        f'<line x1="{x(opened)}" x2="{x(opened)}" y1="{TOP}" y2="{TOP + plot_h}" '
        'stroke="#a4000f" stroke-width="2"/>',
        f'<polyline points="{points}" fill="none" stroke="#0b4f9c" stroke-width="1.5"/>',
        f'<text x="{LEFT - 4}" y="{TOP + 10}" text-anchor="end" font-size="11">'
        f"{percent(locale, 100 * top, 1)}</text>",
        f'<text x="{LEFT - 4}" y="{TOP + plot_h}" text-anchor="end" font-size="11">'
        f"{percent(locale, 0, 0)}</text>",
        f'<text x="{LEFT}" y="{HEIGHT - 8}" font-size="11">{_clock(start, tz, dated)}</text>',
        f'<text x="{WIDTH - RIGHT}" y="{HEIGHT - 8}" text-anchor="end" font-size="11">'
        f"{_clock(end, tz, dated)}</text>",
        "</svg>",
    ]
    return "\n".join(parts)


def _clock(moment: datetime, tz: str, dated: bool = False) -> str:
    """``14:05`` (``2026-11-20 14:05`` when ``dated``) in the zone, UTC as the tooltip."""
    shape = "%Y-%m-%d %H:%M" if dated else "%H:%M"
    local = moment.astimezone(zone(tz))
    return f"<title>{moment.astimezone(UTC):{shape}} UTC</title>{local:{shape}}"
