from __future__ import annotations

import string
from datetime import timedelta

from vigie.notify.texts import Texts, table


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_french_and_english_tables_have_the_same_keys_and_fields() -> None:
    fr, en = table("fr"), table("en")
    assert fr.keys() == en.keys()
    for key in fr:
        assert _fields(fr[key]) == _fields(en[key]), key


def test_numbers_follow_the_locale() -> None:
    fr, en = Texts("fr"), Texts("en")
    assert (fr.number(14.44), en.number(14.44)) == ("14,4", "14.4")
    assert fr.number(100.0) == en.number(100.0) == "100"
    assert fr.objective(99.95, "30d") == "99,95 % sur 30 j"
    assert en.objective(99.95, "30d") == "99.95% over 30 d"
    assert en.percent(-0.125) == "-12.5%"


def test_durations_use_the_two_largest_units() -> None:
    en = Texts("en")
    assert en.duration(timedelta(hours=1, minutes=12, seconds=5)) == "1 h 12 min"
    assert en.duration(timedelta(seconds=42)) == "42 s"
    assert Texts("fr").duration(timedelta(days=2, hours=3)) == "2 j 3 h"
