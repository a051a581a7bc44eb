"""The collector configs' PII block, generated from the service's pattern file.

``collector_config/{agent,gateway,local,embedded}.yaml`` each hold a ``transform/pii`` processor
between two marker comments. Its OTTL statements come from ``vigie/ingest/pii_patterns.yaml``
(through :mod:`vigie.ingest.pii_export`), so the collector and the Vigie receiver scrub with the
same rules, in the same order, with the same markers. ``python -m vigie.collector_config``
rewrites the blocks; ``--check`` only reports drift (a test runs the check too).

What the block does, per signal, for every attribute map the signal carries (resource, scope,
span / span event / log record / data point):

1. values of sensitive keys (``Authorization``, ``db.password``, ...) become the key marker,
   whatever their type, as ``Scrubber.scrub_attribute`` does: the map is copied to the cache,
   narrowed to the sensitive keys, stringified, overwritten with the marker, merged back;
2. every rule, in file order, runs over every string value (``replace_all_patterns``) and over
   the free-text fields the receiver scrubs: span name, status message, event name, log body.

Known differences with the receiver, which sees values after they are rendered as text: the
collector does not look inside nested map or list values, nor at span links' attributes (OTTL
has no span-link context). The receiver scrubs those again when the data reaches it.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from vigie.ingest.pii_export import (
    CollectorReplacement,
    collector_blocked_keys,
    collector_key_marker,
    collector_replacements,
)
from vigie.ingest.scrub import PiiPatterns, load_patterns

PROCESSOR_NAME = "transform/pii"
BEGIN = (
    f"  # BEGIN GENERATED {PROCESSOR_NAME} (python -m vigie.collector_config; do not edit by hand)"
)
END = f"  # END GENERATED {PROCESSOR_NAME}"
CONFIG_FILES = ("agent.yaml", "gateway.yaml", "local.yaml", "embedded.yaml")

# Cache slot holding the sensitive entries of the map being scrubbed (per item, per group).
_CACHE_KEY = "pii_sensitive"


@dataclass(frozen=True)
class _Target:
    """One OTTL context of a signal: its attribute maps and its free-text fields."""

    context: str
    maps: tuple[str, ...]
    texts: tuple[str, ...] = ()
    condition: str | None = None  # group condition (log bodies: strings and maps differ)


_SIGNALS: dict[str, tuple[_Target, ...]] = {
    "trace_statements": (
        _Target("resource", ("resource.attributes",)),
        _Target("scope", ("scope.attributes",)),
        _Target("span", ("span.attributes",), ("span.name", "span.status.message")),
        _Target("spanevent", ("spanevent.attributes",), ("spanevent.name",)),
    ),
    "log_statements": (
        _Target("resource", ("resource.attributes",)),
        _Target("scope", ("scope.attributes",)),
        _Target("log", ("log.attributes",)),
        _Target("log", (), ("log.body",), condition="IsString(log.body)"),
        # A structured body: its top-level string values (nested values: see module doc).
        _Target("log", ("log.body",), condition="IsMap(log.body)"),
    ),
    "metric_statements": (
        _Target("resource", ("resource.attributes",)),
        _Target("scope", ("scope.attributes",)),
        _Target("datapoint", ("datapoint.attributes",)),
    ),
}


def ottl_string(text: str) -> str:
    """``text`` as an OTTL string literal, ``$`` doubled for the collector's config loader."""
    quoted = '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return quoted.replace("$", "$$")


def _sensitive_statements(context: str, target: str, keys_regex: str, marker: str) -> list[str]:
    slot = f'{context}.cache["{_CACHE_KEY}"]'
    return [
        f"set({slot}, {target})",
        f"keep_matching_keys({slot}, {ottl_string(keys_regex)})",
        f"stringify_all({slot})",
        f'replace_all_patterns({slot}, "value", {ottl_string("(?s)^.*$")}, {ottl_string(marker)})',
        f'merge_maps({target}, {slot}, "update")',
    ]


def _rule_statements(rules: list[CollectorReplacement], is_map: bool, field: str) -> list[str]:
    if is_map:
        return [
            f'replace_all_patterns({field}, "value", {ottl_string(r.regex)}, '
            f"{ottl_string(r.replacement)})"
            for r in rules
        ]
    return [
        f"replace_pattern({field}, {ottl_string(r.regex)}, {ottl_string(r.replacement)})"
        for r in rules
    ]


def pii_processor(patterns: PiiPatterns | None = None) -> dict[str, Any]:
    """The ``transform/pii`` processor config: one statement group per context and field set."""
    patterns = patterns or load_patterns()
    rules = collector_replacements(patterns)
    keys_regex = "|".join(f"(?:{p})" for p in collector_blocked_keys(patterns))
    marker = collector_key_marker(patterns)
    config: dict[str, Any] = {"error_mode": "ignore"}
    for signal, targets in _SIGNALS.items():
        groups: list[dict[str, Any]] = []
        for target in targets:
            statements: list[str] = []
            for field in target.maps:
                statements += _sensitive_statements(target.context, field, keys_regex, marker)
                statements += _rule_statements(rules, True, field)
            for field in target.texts:
                statements += _rule_statements(rules, False, field)
            group: dict[str, Any] = {"context": target.context}
            if target.condition:
                group["conditions"] = [target.condition]
            group["statements"] = statements
            groups.append(group)
        config[signal] = groups
    return config


def render_block(patterns: PiiPatterns | None = None) -> str:
    """The marked block as it appears under ``processors:`` (two-space indent)."""
    body = yaml.safe_dump(
        {PROCESSOR_NAME: pii_processor(patterns)},
        sort_keys=False,
        width=100_000,
        allow_unicode=True,
        default_flow_style=False,
    )
    indented = "".join(f"  {line}\n" for line in body.splitlines())
    return f"{BEGIN}\n{indented}{END}\n"


def refresh(text: str, block: str, *, source: str = "<config>") -> str:
    """``text`` with the marked block replaced by ``block``."""
    lines = text.splitlines(keepends=True)
    try:
        start = lines.index(BEGIN + "\n")
        stop = lines.index(END + "\n", start)
    except ValueError:
        raise ValueError(f"{source}: no '{BEGIN.strip()}' ... '{END.strip()}' block") from None
    return "".join(lines[:start]) + block + "".join(lines[stop + 1 :])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m vigie.collector_config",
        description="Regenerate the transform/pii block of the collector configs.",
    )
    parser.add_argument(
        "--dir", type=Path, default=Path("collector_config"), help="the configs' folder"
    )
    parser.add_argument("--check", action="store_true", help="only report stale files (exit 1)")
    args = parser.parse_args(argv)
    block = render_block()
    stale = []
    for name in CONFIG_FILES:
        path: Path = args.dir / name
        current = path.read_text(encoding="utf-8")
        wanted = refresh(current, block, source=str(path))
        if wanted != current:
            stale.append(path)
            if not args.check:
                path.write_text(wanted, encoding="utf-8")
    for path in stale:
        print(f"{path}: {'stale' if args.check else 'updated'}", file=sys.stderr)
    return 1 if stale and args.check else 0


if __name__ == "__main__":
    sys.exit(main())
