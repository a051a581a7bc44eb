from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from vigie.i18n import LOCALES, Formatter

FR, EN = Formatter("fr"), Formatter("en")
# 07:14 UTC on a winter day is 02:14 in Montreal (UTC-5); built from an offset, not a date.
WINTER = datetime(2026, 1, 5, 7, 14, tzinfo=UTC)


def test_numbers_and_percentages_follow_the_locale() -> None:
    assert (FR.number(14.44), EN.number(14.44)) == ("14,4", "14.4")
    assert FR.number(1234.56) == "1\u202f234,6"
    assert EN.number(1234.56) == "1,234.6"
    assert FR.number(100.0) == EN.number(100.0) == "100"
    assert FR.number(-0.04) == "0"
    assert (FR.percent(0.862), EN.percent(0.862)) == ("86,2 %", "86.2%")
    assert EN.percent(-0.125) == "-12.5%"
    assert FR.number(99.95, 3) == "99,95"


def test_durations_and_windows() -> None:
    assert EN.duration(timedelta(hours=1, minutes=12, seconds=5)) == "1 h 12 min"
    assert EN.duration(timedelta(seconds=42)) == "42 s"
    assert FR.duration(timedelta(days=2, hours=3, minutes=4)) == "2 j 3 h"
    assert FR.duration(timedelta(seconds=-5)) == "0 s"
    assert (FR.window("30d"), EN.window("30d"), FR.window("2w")) == ("30 j", "30 d", "2 sem.")
    assert FR.window("odd") == "odd"


def test_times_are_in_the_clubs_time_zone() -> None:
    assert FR.time(WINTER) == EN.time(WINTER) == "02:14"
    assert Formatter("en", "Europe/Paris").time(WINTER) == "08:14"
    assert FR.date(WINTER) == "lundi 5 janvier"
    assert EN.datetime(WINTER) == "Monday, January 5 at 02:14"
    assert FR.date(WINTER.replace(day=1, hour=12)) == "jeudi 1er janvier"
    with pytest.raises(ValueError, match="timezone-aware"):
        FR.time(WINTER.replace(tzinfo=None))


def test_french_elides_de_before_a_vowel() -> None:
    assert FR.of("AlgoÉTS") == "d'AlgoÉTS"
    assert FR.of("Éclipse") == "d'Éclipse"
    assert FR.of("Cédille") == "de Cédille"
    assert EN.of("AlgoÉTS") == "of AlgoÉTS"


def test_unknown_locale_is_refused() -> None:
    assert LOCALES == ("fr", "en")
    with pytest.raises(ValueError, match="unknown locale"):
        Formatter("de")  # type: ignore[arg-type]
