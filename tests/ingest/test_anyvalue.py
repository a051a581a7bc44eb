from __future__ import annotations

import pytest
from tests.ingest.otlp import any_value, key_values

from vigie.ingest.anyvalue import (
    MAX_ATTRIBUTES,
    MAX_DEPTH,
    MAX_VALUE_CHARS,
    TRUNCATION_MARK,
    Truncations,
    attributes,
    go_float,
    render,
)


@pytest.mark.parametrize(
    ("value", "go"),
    [
        # strconv.AppendFloat(f, 'f' or 'e', -1, 64) with encoding/json's cut-offs.
        (1.0, "1"),
        (0.5, "0.5"),
        (-2.25, "-2.25"),
        (3.14, "3.14"),
        (0.1 + 0.2, "0.30000000000000004"),
        (123456789.0, "123456789"),
        (1e20, "100000000000000000000"),
        (1e21, "1e+21"),
        (1.5e300, "1.5e+300"),
        (1e-6, "0.000001"),
        (1e-7, "1e-7"),
        (1.5e-7, "1.5e-7"),
        (2.5e-10, "2.5e-10"),
        (5e-324, "5e-324"),
        (0.0, "0"),
        (-0.0, "-0"),
        (float("nan"), "json: unsupported value: NaN"),
        (float("inf"), "json: unsupported value: +Inf"),
        (float("-inf"), "json: unsupported value: -Inf"),
    ],
)
def test_doubles_format_like_go(value: float, go: str) -> None:
    assert go_float(value) == go
    assert render(any_value(value)) == go


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ("héllo", "héllo"),
        ("", ""),
        (0, "0"),
        (-9223372036854775808, "-9223372036854775808"),
        (True, "true"),
        (False, "false"),
        (b"\x00\xffab", "AP9hYg=="),
        (None, ""),
        ([], "[]"),
        ({}, "{}"),
        (["a", 1, True, 1.5, None], '["a",1,true,1.5,null]'),
        # Go's json.Marshal sorts object keys and escapes <, >, & for HTML safety.
        ({"b": 1, "a": "<x&y>"}, '{"a":"\\u003cx\\u0026y\\u003e","b":1}'),
        ({"k": [b"\x01", {"z": 1e21}]}, '{"k":["AQ==",{"z":1e+21}]}'),
        (["line\nbreak\t\"q\"\\", "\u2028"], '["line\\nbreak\\t\\"q\\"\\\\","\\u2028"]'),
        (["é", "\x01"], '["é","\\u0001"]'),
        # NaN makes json.Marshal fail: AsString returns the empty string.
        ([1.0, float("nan")], ""),
    ],
)
def test_values_render_like_pdata_as_string(value: object, text: str) -> None:
    assert render(any_value(value)) == text


def test_repeated_kvlist_key_keeps_the_last_value() -> None:
    value = any_value({})
    value.kvlist_value.values.extend(key_values({"a": 1}) + key_values({"a": 2}))
    assert render(value) == '{"a":2}'


def test_deep_nesting_renders_null_below_the_depth_cap() -> None:
    nested: list[object] = []
    for _ in range(MAX_DEPTH + 5):
        nested = [nested]
    text = render(any_value(nested))
    assert text.count("[") == MAX_DEPTH
    assert "null" in text


def test_attributes_are_key_sorted_strings() -> None:
    seen = Truncations()
    out = attributes(key_values({"z": 1, "a": True, "m": "x"}), lambda k, v: v, seen)
    assert list(out.items()) == [("a", "true"), ("m", "x"), ("z", "1")]
    assert seen.count == 0


def test_attributes_are_capped_and_counted() -> None:
    seen = Truncations()
    many = {f"k{i:04d}": i for i in range(MAX_ATTRIBUTES + 50)}
    out = attributes(key_values(many), lambda k, v: v, seen)
    assert len(out) == MAX_ATTRIBUTES
    assert seen.count == 1

    seen = Truncations()
    out = attributes(key_values({"big": "x" * (10 * MAX_VALUE_CHARS)}), lambda k, v: v, seen)
    assert len(out["big"]) == MAX_VALUE_CHARS
    assert out["big"].endswith(TRUNCATION_MARK)
    assert seen.count == 1


def test_attributes_pass_through_the_scrubber() -> None:
    out = attributes(
        key_values({"user.email": "a@b.c", "n": 3}),
        lambda k, v: "[scrubbed]" if "@" in v else v,
        Truncations(),
    )
    assert out == {"n": "3", "user.email": "[scrubbed]"}
