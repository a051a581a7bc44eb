from __future__ import annotations

from datetime import time, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vigie.config.fields import format_duration, parse_clock, parse_duration, parse_snowflake


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("30s", timedelta(seconds=30)),
        ("5m", timedelta(minutes=5)),
        ("4h", timedelta(hours=4)),
        ("1d", timedelta(days=1)),
        ("1h30m", timedelta(hours=1, minutes=30)),
        ("2d12h", timedelta(days=2, hours=12)),
    ],
)
def test_durations_parse(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["", "5", "5 m", "1m1h", "0s", "-5m", "5w", "1.5h"])
def test_bad_durations_are_refused(text: str) -> None:
    with pytest.raises(ValueError):
        parse_duration(text)


def test_a_number_is_not_a_duration() -> None:
    with pytest.raises(ValueError, match="30s"):
        parse_duration(30)


@given(st.integers(min_value=1, max_value=10**8))
def test_format_duration_round_trips(seconds: int) -> None:
    delta = timedelta(seconds=seconds)
    assert parse_duration(format_duration(delta)) == delta


def test_clock_times() -> None:
    assert parse_clock("23:00") == time(23, 0)
    assert parse_clock("08:05") == time(8, 5)
    for bad in ["24:00", "8:00", "23:60", 1380]:
        with pytest.raises(ValueError, match="HH:MM"):
            parse_clock(bad)


def test_snowflakes_are_17_to_20_digits() -> None:
    assert parse_snowflake("412345678901234567") == "412345678901234567"
    assert parse_snowflake(412345678901234567) == "412345678901234567"  # unquoted in YAML
    for bad in ["1234", "4123456789012345678901", "41234567890123456x", True, 1.5]:
        with pytest.raises(ValueError, match="17 to 20 digits"):
            parse_snowflake(bad)
