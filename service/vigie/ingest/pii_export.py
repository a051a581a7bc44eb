"""The PII patterns in the shapes the OpenTelemetry Collector config needs (pure functions).

Same file, same rules, same order as :mod:`vigie.ingest.scrub`: what the collector scrubs and
what the Vigie receiver scrubs must not differ. Two ways to use them in a collector config:

* transform processor (identical output to Vigie): for each :func:`collector_replacements`
  entry, in order, ``replace_pattern(<field>, "<regex>", "<replacement>")`` on span names,
  status messages, log bodies, event names, and ``replace_all_patterns(attributes, "value", ...)``
  on attribute maps; plus ``set(attributes[k], "<marker>")`` for sensitive keys, or the redaction
  processor's ``blocked_key_patterns``. The replacement uses Go's ``${pre}``/``${post}`` group
  syntax: in a collector YAML file every ``$`` must be written ``$$`` (the config loader expands
  ``${...}``), and the OTTL string literal needs ``\\`` and ``\"`` escaped.
* redaction processor ``blocked_values`` / ``blocked_key_patterns``: same matches, but the
  processor masks with ``****`` instead of the markers and only looks at attributes. Use it only
  where the marker text does not matter.
"""

from __future__ import annotations

from dataclasses import dataclass

from vigie.ingest.scrub import PiiPatterns, load_patterns


@dataclass(frozen=True)
class CollectorReplacement:
    """One ordered regex replacement, in Go ``regexp.ReplaceAllString`` syntax."""

    name: str
    regex: str
    replacement: str


def collector_replacements(patterns: PiiPatterns | None = None) -> list[CollectorReplacement]:
    """The rules in application order, with Go-syntax replacements."""
    patterns = patterns or load_patterns()
    result = []
    for rule in patterns.rules:
        pre = "${pre}" if "pre" in rule.keeps else ""
        post = "${post}" if "post" in rule.keeps else ""
        marker = patterns.marker(rule.kind).replace("$", "$$")
        result.append(CollectorReplacement(rule.name, rule.regex, f"{pre}{marker}{post}"))
    return result


def collector_blocked_values(patterns: PiiPatterns | None = None) -> list[str]:
    """The value regexes, in order (redaction processor ``blocked_values``)."""
    patterns = patterns or load_patterns()
    return [rule.regex for rule in patterns.rules]


def collector_blocked_keys(patterns: PiiPatterns | None = None) -> list[str]:
    """Anchored, case-insensitive regexes of the attribute keys whose value is replaced whole."""
    patterns = patterns or load_patterns()
    return [f"(?i)^(?:{pattern})$" for pattern in patterns.sensitive_key_patterns]


def collector_key_marker(patterns: PiiPatterns | None = None) -> str:
    """The value written in place of a sensitive key's value."""
    patterns = patterns or load_patterns()
    return patterns.marker(patterns.sensitive_key_kind)
