"""The SLI chart is a pure function of the minutes: positions follow the data, text is escaped."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from vigie.reports.queries import Minute
from vigie.web.chart import BOTTOM, HEIGHT, LEFT, RIGHT, TOP, WIDTH, sli_chart

T = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)


def test_points_band_and_labels() -> None:
    minutes = [Minute(T + timedelta(minutes=k), 100, bad) for k, bad in ((0, 0), (30, 50), (60, 0))]
    impact = (T + timedelta(minutes=20), T + timedelta(minutes=40))
    svg = sli_chart(
        minutes, T, T + timedelta(minutes=60), impact, T + timedelta(minutes=25), 0.001,
        title="SLI <x>", description="a & b",
    )  # fmt: skip
    points = re.search(r'<polyline points="([^"]+)"', svg)
    assert points is not None
    coords = [tuple(map(float, p.split(","))) for p in points.group(1).split()]
    plot_w, bottom = WIDTH - LEFT - RIGHT, HEIGHT - BOTTOM
    # x: start, middle, end of the plot; y: the 50% peak is the top, zero is the bottom
    assert coords == [(LEFT, bottom), (LEFT + plot_w / 2, TOP), (LEFT + plot_w, bottom)]
    band = re.search(r'<rect x="([0-9.]+)" y="12" width="([0-9.]+)"[^>]*fill="#f6d5d1"', svg)
    assert band is not None
    assert float(band.group(1)) == round(LEFT + plot_w / 3, 1)
    assert '<title id="chart-title">SLI &lt;x&gt;</title>' in svg and "a &amp; b" in svg
    assert "50.0%" in svg


def test_minutes_without_traffic_are_not_drawn() -> None:
    svg = sli_chart([Minute(T, 0, 0)], T, T + timedelta(minutes=10), (T, T), T, 0.01,
                    title="t", description="d")  # fmt: skip
    assert '<polyline points=""' in svg


def test_time_axis_in_the_club_zone_with_utc_on_hover() -> None:
    svg = sli_chart([], T, T + timedelta(minutes=60), (T, T), T, 0.01, title="t", description="d",
                    tz="America/Montreal")  # fmt: skip
    assert "<title>15:00 UTC</title>10:00</text>" in svg  # EST in November
    assert "<title>16:00 UTC</title>11:00</text>" in svg


def test_a_range_over_a_day_dates_its_axis() -> None:
    svg = sli_chart([], T, T + timedelta(days=2), (T, T), T, 0.01, title="t", description="d")
    assert "<title>2026-11-20 15:00 UTC</title>2026-11-20 10:00</text>" in svg
