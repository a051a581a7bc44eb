from __future__ import annotations

import pytest
from tests.ingest.otlp import any_value, key_values

from vigie.ingest.anyvalue import (
    MAX_ATTRIBUTES,
    MAX_DEPTH,
    MAX_VALUE_CHARS,
    TRUNCATION_MARK,
    AttributeCache,
    BadAttribute,
    Truncations,
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


def _raw(attrs: dict[str, object]) -> list[bytes]:
    return [kv.SerializeToString() for kv in key_values(attrs)]


def _keep(key: str, value: str) -> str:
    return value


def test_attributes_are_key_sorted_strings() -> None:
    seen = Truncations()
    out = AttributeCache(_keep).render(_raw({"z": 1, "a": True, "m": "x"}), seen)
    assert list(out.items()) == [("a", "true"), ("m", "x"), ("z", "1")]
    assert seen.count == 0


def test_a_repeated_key_keeps_one_value() -> None:
    raw = _raw({"k": "first"}) + _raw({"a": 0}) + _raw({"k": "last"})
    cache = AttributeCache(_keep)
    for _ in range(2):  # memo miss, then hit
        out = cache.render(raw, Truncations())
        assert list(out) == ["a", "k"] and out["k"] in ("first", "last")


def test_attributes_are_capped_and_counted() -> None:
    seen = Truncations()
    many = {f"k{i:04d}": i for i in range(MAX_ATTRIBUTES + 50)}
    out = AttributeCache(_keep).render(_raw(many), seen)
    assert len(out) == MAX_ATTRIBUTES
    assert seen.count == 1

    cache = AttributeCache(_keep)
    for _ in range(2):  # a cut value is counted every time it is seen
        out = cache.render(_raw({"big": "x" * (10 * MAX_VALUE_CHARS)}), seen)
    assert len(out["big"]) == MAX_VALUE_CHARS
    assert out["big"].endswith(TRUNCATION_MARK)
    assert seen.count == 3


def test_the_scrubber_sees_each_distinct_attribute_once() -> None:
    calls: list[tuple[str, str]] = []

    def scrub(key: str, value: str) -> str:
        calls.append((key, value))
        return "[scrubbed]" if "@" in value else value

    cache = AttributeCache(scrub)
    for _ in range(3):
        out = cache.render(_raw({"user.email": "a@b.c", "n": 3}), Truncations())
        assert out == {"n": "3", "user.email": "[scrubbed]"}
    assert sorted(calls) == [("n", "3"), ("user.email", "a@b.c")]


def test_memoised_and_new_attributes_mix() -> None:
    cache = AttributeCache(_keep)
    cache.render(_raw({"b": 2, "d": 4}), Truncations())
    for order in ({"e": 5, "d": 4, "c": 3, "b": 2, "a": 1}, {"b": 2, "z": 0, "d": 4, "y": 9}):
        expected = {k: str(v) for k, v in sorted(order.items())}
        assert cache.render(_raw(order), Truncations()) == expected
        assert cache.render(_raw(order), Truncations()) == expected


def test_attribute_bytes_that_do_not_parse_are_refused() -> None:
    # KeyValue{key: "k", value: AnyValue{string_value: b"\xc3\x28"}}: not UTF-8.
    bad = b"\x0a\x01k\x12\x04\x0a\x02\xc3\x28"
    with pytest.raises(BadAttribute):
        AttributeCache(_keep).render([bad], Truncations())
