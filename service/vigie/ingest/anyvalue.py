"""OTLP ``AnyValue`` rendered as the string the ClickHouse exporter stores.

The exporter (contrib v0.161.0, ``internal.AttributesToMap``) stores every attribute value as
pdata's ``Value.AsString()``: strings as they are, ints in decimal, bools ``true``/``false``,
doubles like Go's ``encoding/json`` (ES6 number formatting), bytes as standard base64, and
arrays / key-value lists as Go ``json.Marshal`` of the raw value (object keys sorted, ``<>&``
and U+2028/U+2029 escaped, NaN/Inf making the whole marshal fail, i.e. an empty string).
Maps are written key-sorted (the exporter's ordered map sorts by key); of a key repeated in one
list, one value is kept (the exporter's sort is unstable and ClickHouse answers the first).

Limits (a sender cannot make one row unbounded): a rendered value longer than
:data:`MAX_VALUE_CHARS` is cut and ends with :data:`TRUNCATION_MARK`; a key longer than
:data:`MAX_KEY_CHARS` is cut the same way; only the first :data:`MAX_ATTRIBUTES` attributes of a
map are kept (cuts are counted in the conversion's ``truncated``); arrays and lists nested
deeper than :data:`MAX_DEPTH` render their deeper levels as JSON ``null``.
"""

from __future__ import annotations

import base64
import json
import math
from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal
from weakref import WeakKeyDictionary

from google.protobuf.message import DecodeError
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue

from vigie.ingest.rows import Rejections, Scrubber

MAX_VALUE_CHARS = 65_536
MAX_KEY_CHARS = 1_024
MAX_ATTRIBUTES = 128
MAX_DEPTH = 16
TRUNCATION_MARK = "…[truncated]"

ScrubAttribute = Callable[[str, str], str]


class Truncations:
    """Counts how many values, keys or maps were cut while rendering one request."""

    __slots__ = ("count",)

    def __init__(self) -> None:
        self.count = 0


def cap(text: str, limit: int, seen: Truncations) -> str:
    """``text`` cut to ``limit`` characters (marker included) when it is longer."""
    if len(text) <= limit:
        return text
    seen.count += 1
    return text[: limit - len(TRUNCATION_MARK)] + TRUNCATION_MARK


def scrubbed(scrub_text: Callable[[str], str], text: str, limit: int, seen: Truncations) -> str:
    """``text`` cut to ``limit``, then scrubbed: names, versions, schema URLs, descriptions and
    keys are text a sender controls, so they may hold personal data like any value."""
    return scrub_text(cap(text, limit, seen)) if text else ""


def go_float(value: float) -> str:
    """A float64 formatted like pdata's ``float64AsString`` / Go ``encoding/json``."""
    if math.isnan(value) or math.isinf(value):
        go = "NaN" if math.isnan(value) else ("+Inf" if value > 0 else "-Inf")
        return "json: unsupported value: " + go
    magnitude = abs(value)
    # repr gives the shortest digits that round-trip, as Go's precision -1 does; only the layout
    # differs: Go switches to exponent form below 1e-6 and from 1e21, and never pads it.
    if magnitude != 0 and (magnitude < 1e-6 or magnitude >= 1e21):
        return f"{Decimal(repr(value)):e}".replace("E", "e")
    text = format(Decimal(repr(value)), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def render(value: AnyValue) -> str:
    """``Value.AsString()`` of one attribute value or log body."""
    kind = value.WhichOneof("value")
    if kind == "string_value":
        return value.string_value
    if kind == "int_value":
        return str(value.int_value)
    if kind == "bool_value":
        return "true" if value.bool_value else "false"
    if kind == "double_value":
        return go_float(value.double_value)
    if kind == "bytes_value":
        return base64.b64encode(value.bytes_value).decode("ascii")
    if kind is None:
        return ""
    try:
        return _go_escapes(_json(value, 0))
    except ValueError:
        # Go's json.Marshal fails on NaN/Inf and AsString then returns the empty result.
        return ""


def _json(value: AnyValue, depth: int) -> str:
    """Go ``json.Marshal(value.AsRaw())`` before Go's HTML-safe escapes."""
    kind = value.WhichOneof("value")
    if kind == "string_value":
        return _dumps(value.string_value)
    if kind == "int_value":
        return str(value.int_value)
    if kind == "bool_value":
        return "true" if value.bool_value else "false"
    if kind == "double_value":
        number = value.double_value
        if math.isnan(number) or math.isinf(number):
            raise ValueError("json: unsupported value")
        return go_float(number)
    if kind == "bytes_value":
        return '"' + base64.b64encode(value.bytes_value).decode("ascii") + '"'
    if kind is None or depth >= MAX_DEPTH:
        return "null"
    if kind == "array_value":
        return "[" + ",".join(_json(v, depth + 1) for v in value.array_value.values) + "]"
    # AsRaw builds a Go map (a repeated key keeps its last value); Marshal sorts its keys.
    members = {kv.key: kv.value for kv in value.kvlist_value.values}
    return (
        "{"
        + ",".join(_dumps(k) + ":" + _json(members[k], depth + 1) for k in sorted(members))
        + "}"
    )


def _dumps(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


_GO_ESCAPES = (
    ("<", "\\u003c"),
    (">", "\\u003e"),
    ("&", "\\u0026"),
    ("\u2028", "\\u2028"),
    ("\u2029", "\\u2029"),
)


def _go_escapes(text: str) -> str:
    for plain, escaped in _GO_ESCAPES:
        if plain in text:
            text = text.replace(plain, escaped)
    return text


class BadAttribute(ValueError):
    """An attribute's bytes do not parse (not UTF-8, nested past the protobuf limit, corrupt)."""


class AttributeCache:
    """Renders raw attribute lists (``KeyValue`` bytes, see :mod:`vigie.ingest.wire`) into the
    exporter's ``Map(LowCardinality(String), String)``, memoising each scrubbed pair.

    The memo is keyed by the serialized ``KeyValue``: an attribute seen before costs one dict
    lookup instead of parsing, rendering and scrubbing. Safe to share between threads (plain
    dict operations; a lost insert only costs a recomputation).
    """

    def __init__(self, scrub: ScrubAttribute, scrub_key: Callable[[str], str] = str) -> None:
        self._scrub = scrub
        self._scrub_key = scrub_key  # keys too: {"k.prénom.nom@etsmtl.net": "y"}
        self._memo: dict[bytes, tuple[str, str]] = {}

    def render(self, kvs: Sequence[bytes], seen: Truncations) -> dict[str, str]:
        """One attribute list, key-sorted; raises :class:`BadAttribute`."""
        if len(kvs) > MAX_ATTRIBUTES:
            seen.count += 1
            kvs = kvs[:MAX_ATTRIBUTES]
        memo = self._memo
        hits = list(map(memo.get, kvs))
        try:
            # Hot path, every pair memoised. A miss leaves a None, which makes sorting (two or
            # more pairs) or dict() (one) raise TypeError: no separate check is needed.
            hits.sort()
            return dict(hits)  # type: ignore[arg-type]
        except TypeError:
            # The failed sort may have moved items: start again from the raw list.
            pairs = [memo.get(raw) or self._miss(raw, seen) for raw in kvs]
            pairs.sort()
            return dict(pairs)

    def _miss(self, raw: bytes, seen: Truncations) -> tuple[str, str]:
        try:
            kv = KeyValue.FromString(raw)
        except DecodeError:
            raise BadAttribute(
                "attribute that does not parse (not UTF-8 or nested too deeply)"
            ) from None
        value = kv.value
        text = value.string_value or render(value)
        key = kv.key
        if len(text) > MAX_VALUE_CHARS or len(key) > MAX_KEY_CHARS:
            # Cut values are not memoised, so that every occurrence is counted.
            key = cap(key, MAX_KEY_CHARS, seen)
            return self._scrub_key(key), self._scrub(key, cap(text, MAX_VALUE_CHARS, seen))
        # The value is judged by the key as sent (a sensitive key), the key is stored scrubbed.
        pair = (self._scrub_key(key), self._scrub(key, text))
        if len(raw) <= _MEMO_MAX_BYTES:
            if len(self._memo) >= _MEMO_MAX_ENTRIES:
                self._memo.clear()
            self._memo[raw] = pair
        return pair


def resource_head(
    render: Callable[[Sequence[bytes], Truncations], dict[str, str]],
    attributes: Sequence[bytes],
    rows: Iterable[int],
    seen: Truncations,
    rejections: Rejections,
) -> tuple[dict[str, str], str] | None:
    """A resource's rendered attributes and its ``ServiceName`` (``service.name``, capped).

    None when an attribute does not parse: then every row of the resource is refused (``rows``:
    the row count of each of its scopes, only read in that case).
    """
    try:
        resource_attrs = render(attributes, seen)
    except BadAttribute as exc:
        rejections.add_many(f"resource with an {exc}", sum(rows))
        return None
    return resource_attrs, cap(resource_attrs.get("service.name", ""), MAX_KEY_CHARS, seen)


_MEMO_MAX_BYTES = 512
_MEMO_MAX_ENTRIES = 100_000

_caches: WeakKeyDictionary[object, AttributeCache] = WeakKeyDictionary()


def attribute_cache(scrubber: Scrubber) -> AttributeCache:
    """The cache of ``scrubber`` (one per scrubber object, kept while it lives)."""
    cache = _caches.get(scrubber)
    if cache is None:
        cache = AttributeCache(scrubber.scrub_attribute, scrubber.scrub_text)
        _caches[scrubber] = cache
    return cache
