from __future__ import annotations

import pytest

from vigie.config.yaml_source import YamlSyntaxError, format_loc, parse_yaml

TEXT = """\
app: site-web
slos:
  - name: a
    sli: {kind: latency, threshold_ms: 5}
  - name: b
quiet: {start: 23:00, end: 08:00}
"""


def test_every_value_knows_its_line() -> None:
    doc = parse_yaml(TEXT)
    assert doc.lines[("app",)] == 1
    assert doc.lines[("slos", 0)] == 3
    assert doc.lines[("slos", 0, "sli", "threshold_ms")] == 4
    assert doc.lines[("slos", 1, "name")] == 5


def test_clock_times_stay_strings() -> None:
    # YAML 1.1 would read 23:00 as the base-60 integer 1380.
    assert parse_yaml(TEXT).data["quiet"] == {"start": "23:00", "end": "08:00"}


def test_numbers_still_parse() -> None:
    assert parse_yaml("a: 99.9\nb: 100\nc: -1\nd: 1_000\n").data == {
        "a": 99.9,
        "b": 100,
        "c": -1,
        "d": 1000,
    }


def test_keys_stay_text() -> None:
    # YAML 1.1 would make these keys booleans and numbers, and pydantic could not name them.
    assert parse_yaml("yes: 1\n2: b\n").data == {"yes": 1, "2": "b"}


def test_merge_keys_still_work() -> None:
    assert parse_yaml("a: &x {b: 1}\nc:\n  <<: *x\n  d: 2\n").data["c"] == {"b": 1, "d": 2}


def test_complex_keys_are_refused() -> None:
    with pytest.raises(YamlSyntaxError, match="keys must be plain text"):
        parse_yaml("? [a]\n: 1\n")


def test_locate_skips_union_tags_and_keeps_missing_keys() -> None:
    doc = parse_yaml(TEXT)
    assert doc.locate(("slos", 0, "sli", "latency", "threshold_ms")) == (
        4,
        "slos[0].sli.threshold_ms",
    )
    assert doc.locate(("slos", 1, "objective"), missing=True) == (5, "slos[1].objective")
    assert doc.locate(()) == (1, "(document)")


def test_duplicate_keys_are_reported() -> None:
    doc = parse_yaml("a: 1\nb: 2\na: 3\n")
    assert [(d.loc, d.line) for d in doc.duplicates] == [(("a",), 3)]


@pytest.mark.parametrize(
    ("text", "line"), [("a: [1,\nb: 2\n", 3), ("a: 1\n  b: 2\n", 2), ("a: 'x\n", 2)]
)
def test_syntax_errors_carry_their_line(text: str, line: int) -> None:
    with pytest.raises(YamlSyntaxError) as info:
        parse_yaml(text)
    assert info.value.line == line
    assert info.value.message.startswith("invalid YAML: ")


def test_syntax_errors_do_not_quote_the_text() -> None:
    with pytest.raises(YamlSyntaxError) as info:
        parse_yaml("webhook: https://discord.com/api/webhooks/1/sekrit\n  x: [\n")
    assert "sekrit" not in info.value.message


def test_format_loc() -> None:
    assert format_loc(("clubs", 2, "captains", 0)) == "clubs[2].captains[0]"
