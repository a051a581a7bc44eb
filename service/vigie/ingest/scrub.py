"""Replace personal data and secrets by markers before anything is stored.

The patterns live in ``pii_patterns.yaml`` next to this module (the same file feeds the
OpenTelemetry Collector config, see :mod:`vigie.ingest.pii_export`); its header explains every
decision. This module only loads that file and applies it, fast:

* a bounded memo of results for short strings, because attribute values repeat massively
  (routes, methods, status codes, service names);
* a literal pre-filter: a rule only runs on a string whose lowercased form holds, for each
  clause of the rule's ``needs`` in the YAML, one of its literals ("@", a digit, "token", "eyj"),
  and at least ``min_digits`` digits; a string failing every rule's first clause is returned at
  once. So "GET" or "/api/clubs/{id}" cost set checks and substring searches, no regex scan;
* long multi-line texts are scrubbed line by line, so repeated lines hit the memo too;
* rules are applied one after the other, exactly as the collector applies them, so both engines
  give the same output.

The :class:`Scrubber` is safe to share between threads: its memos are plain dicts whose
individual operations are atomic under the GIL, and a lost insert only costs a recomputation.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from vigie.errors import ConfigError
from vigie.ingest.re2_syntax import re2_incompatibility

DEFAULT_PATTERNS_PATH = Path(__file__).with_name("pii_patterns.yaml")

# Python-side flags of every regex: ASCII makes \b mean what it means in Go's RE2 (an ASCII word
# boundary); the YAML never uses \d, \w or \s, whose meaning differs between the engines.
REGEX_FLAGS = re.ASCII

# Only these group names may appear: what a rule keeps around its marker. Any other capture
# group would change the replacement in one engine and not the other.
_KEPT_GROUPS = ("pre", "post")

# Strings longer than this are not memoised: they are log bodies and messages, mostly unique,
# and would evict the short repeated values that make the memo worthwhile.
CACHE_MAX_LEN = 256
CACHE_MAX_ENTRIES = 50_000

_DIGITS = "0123456789"
_DIGIT_SET = frozenset(_DIGITS)
# Bound of the table "gate characters present -> rules to check" (a few hundred in practice).
_MAX_GATES = 4096


@dataclass(frozen=True)
class PiiRule:
    """One scrubbing rule of the YAML file, in application order."""

    name: str
    kind: str
    regex: str
    needs: tuple[tuple[str, ...], ...]  # clauses of lowercase literals (see the YAML header)
    min_digits: int  # every match holds at least this many ASCII digits
    keeps: tuple[str, ...]  # subset of ("pre", "post"): groups kept around the marker
    check: str | None = None  # Python-only test a match must pass ("luhn"), see the YAML


@dataclass(frozen=True)
class PiiPatterns:
    """The whole pattern file: marker template, ordered rules, sensitive attribute keys."""

    marker_template: str
    rules: tuple[PiiRule, ...]
    sensitive_key_kind: str
    sensitive_key_patterns: tuple[str, ...]

    def marker(self, kind: str) -> str:
        return self.marker_template.format(kind=kind)


def load_patterns(path: Path | None = None) -> PiiPatterns:
    """Read and validate the pattern file (the packaged one by default).

    Raises :class:`ConfigError` naming the file and the rule when something is wrong.
    """
    source = path or DEFAULT_PATTERNS_PATH
    try:
        raw = yaml.safe_load(source.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"{source}: cannot read PII patterns: {exc}") from exc
    if not isinstance(raw, Mapping):
        raise ConfigError(f"{source}: expected a mapping at top level")
    _expect_keys(source, "top level", raw, {"marker", "sensitive_keys", "rules"})
    marker_template = _expect_str(source, "marker", raw["marker"])
    if "{kind}" not in marker_template:
        raise ConfigError(f"{source}: marker: must contain {{kind}}")

    keys = raw["sensitive_keys"]
    if not isinstance(keys, Mapping):
        raise ConfigError(f"{source}: sensitive_keys: expected a mapping")
    _expect_keys(source, "sensitive_keys", keys, {"kind", "patterns"})
    key_kind = _expect_str(source, "sensitive_keys.kind", keys["kind"])
    key_patterns = keys["patterns"]
    if not isinstance(key_patterns, list) or not key_patterns:
        raise ConfigError(f"{source}: sensitive_keys.patterns: expected a non-empty list")
    for index, pattern in enumerate(key_patterns):
        where = f"sensitive_keys.patterns[{index}]"
        compiled = _compile(source, where, _expect_str(source, where, pattern))
        if compiled.groups:
            raise ConfigError(f"{source}: {where}: use (?:...), not capture groups")

    raw_rules = raw["rules"]
    if not isinstance(raw_rules, list) or not raw_rules:
        raise ConfigError(f"{source}: rules: expected a non-empty list")
    rules = tuple(_parse_rule(source, index, item) for index, item in enumerate(raw_rules))
    names = [rule.name for rule in rules]
    if len(set(names)) != len(names):
        raise ConfigError(f"{source}: rules: names must be unique")
    return PiiPatterns(marker_template, rules, key_kind, tuple(key_patterns))


def _parse_rule(source: Path, index: int, item: Any) -> PiiRule:
    where = f"rules[{index}]"
    if not isinstance(item, Mapping):
        raise ConfigError(f"{source}: {where}: expected a mapping")
    _expect_keys(
        source, where, item, {"name", "kind", "needs", "regex"}, {"min_digits", "check"}
    )
    name = _expect_str(source, f"{where}.name", item["name"])
    where = f"rules[{index}] ({name})"
    regex = _expect_str(source, f"{where}.regex", item["regex"])
    compiled = _compile(source, where, regex)
    groups = tuple(compiled.groupindex)
    if compiled.groups != len(groups) or not set(groups) <= set(_KEPT_GROUPS):
        raise ConfigError(
            f"{source}: {where}: only the named groups 'pre' and 'post' may capture; "
            "write other groups as (?:...)"
        )
    needs = item["needs"]
    if (
        not isinstance(needs, list)
        or not needs
        or not all(_is_literal_list(clause) for clause in needs)
    ):
        raise ConfigError(
            f"{source}: {where}.needs: expected a non-empty list of non-empty lists of "
            "lowercase literals"
        )
    min_digits = item.get("min_digits", 0)
    if type(min_digits) is not int or min_digits < 0:
        raise ConfigError(f"{source}: {where}.min_digits: expected a whole number")
    check = item.get("check")
    if check is not None and (check not in _CHECKS or groups):
        raise ConfigError(
            f"{source}: {where}.check: expected one of {sorted(_CHECKS)}, on a rule without groups"
        )
    return PiiRule(
        name=name,
        kind=_expect_str(source, f"{where}.kind", item["kind"]),
        regex=regex,
        needs=tuple(tuple(clause) for clause in needs),
        min_digits=min_digits,
        keeps=tuple(group for group in _KEPT_GROUPS if group in groups),
        check=check,
    )


def luhn(text: str) -> bool:
    """Whether the digits of ``text`` pass the Luhn checksum (SINs, payment cards)."""
    total = 0
    for position, char in enumerate(reversed([c for c in text if c in _DIGIT_SET])):
        digit = int(char) * (2 if position % 2 else 1)
        total += digit - 9 if digit > 9 else digit
    return total % 10 == 0


_CHECKS: dict[str, Callable[[str], bool]] = {"luhn": luhn}


def _is_literal_list(clause: Any) -> bool:
    return (
        isinstance(clause, list)
        and bool(clause)
        and all(isinstance(lit, str) and lit and lit == lit.lower() for lit in clause)
    )


def _expect_keys(
    source: Path,
    where: str,
    item: Mapping[Any, Any],
    wanted: set[str],
    optional: frozenset[str] | set[str] = frozenset(),
) -> None:
    missing = wanted - set(item)
    unknown = set(item) - wanted - optional
    if missing or unknown:
        raise ConfigError(
            f"{source}: {where}: missing {sorted(missing)}, unknown {sorted(map(str, unknown))}"
        )


def _expect_str(source: Path, where: str, value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise ConfigError(f"{source}: {where}: expected a non-empty string")
    return value


def _compile(source: Path, where: str, regex: str) -> re.Pattern[str]:
    problem = re2_incompatibility(regex)
    if problem is not None:
        raise ConfigError(f"{source}: {where}: not portable to Go RE2: {problem}")
    try:
        return re.compile(regex, REGEX_FLAGS)
    except re.error as exc:
        raise ConfigError(f"{source}: {where}: invalid regex: {exc}") from exc


def _python_replacement(rule: PiiRule, marker: str) -> str:
    """The ``re.sub`` template of a rule: kept groups around the marker."""
    escaped = marker.replace("\\", "\\\\")
    pre = "\\g<pre>" if "pre" in rule.keeps else ""
    post = "\\g<post>" if "post" in rule.keeps else ""
    return f"{pre}{escaped}{post}"


def _replacement(
    rule: PiiRule, marker: str, checks: bool
) -> str | Callable[[re.Match[str]], str]:
    """What ``re.sub`` replaces a match with: the template, or for a checked rule a function
    keeping the matches that fail the check."""
    if rule.check is None or not checks:
        return _python_replacement(rule, marker)
    check = _CHECKS[rule.check]
    return lambda match: marker if check(match.group(0)) else match.group(0)


@dataclass(frozen=True)
class _Clause:
    chars: frozenset[str]  # the one-character literals of a `needs` clause
    words: tuple[str, ...]  # the longer ones

    @classmethod
    def of(cls, literals: tuple[str, ...]) -> _Clause:
        return cls(
            frozenset(lit for lit in literals if len(lit) == 1),
            tuple(lit for lit in literals if len(lit) > 1),
        )

    def holds(self, lowered: str) -> bool:
        if not self.chars.isdisjoint(lowered):
            return True
        # A plain loop: any() over a generator costs more than the search on short strings.
        for word in self.words:  # noqa: SIM110
            if word in lowered:
                return True
        return False


@dataclass(frozen=True)
class _CompiledRule:
    order: int  # position in the file
    clauses: tuple[_Clause, ...]
    min_digits: int
    pattern: re.Pattern[str]
    replacement: str | Callable[[re.Match[str]], str]

    def holds(self, lowered: str) -> bool:
        for clause in self.clauses:  # noqa: SIM110 (same reason as _Clause.holds)
            if not clause.holds(lowered):
                return False
        return True

    def may_run(self, present: frozenset[str], has_digit: bool) -> bool:
        """Whether the first clause can hold in a text holding exactly the gate characters
        ``present`` (digits aside) and a digit if ``has_digit``."""
        first = self.clauses[0]
        return (
            bool(first.words)
            or not first.chars.isdisjoint(present)
            or (has_digit and not first.chars.isdisjoint(_DIGITS))
        )


class Scrubber:
    """Applies a :class:`PiiPatterns` to strings; build one per process and share it."""

    def __init__(
        self,
        patterns: PiiPatterns | None = None,
        *,
        memo_entries: int = CACHE_MAX_ENTRIES,
        checks: bool = True,
    ) -> None:
        """``memo_entries`` bounds the memo of short results; 0 turns it off (benchmarks).
        ``checks=False`` skips the Python-only checks: the collector's behaviour (tests)."""
        self.patterns = patterns or load_patterns()
        self._rules = tuple(
            _CompiledRule(
                order,
                tuple(_Clause.of(clause) for clause in rule.needs),
                rule.min_digits,
                re.compile(rule.regex, REGEX_FLAGS),
                _replacement(rule, self.patterns.marker(rule.kind), checks),
            )
            for order, rule in enumerate(self.patterns.rules)
        )
        # The one-character literals of the first clauses, digits aside: which of them a text
        # holds (plus whether it holds a digit) selects the rules worth checking further.
        self._gate_chars = frozenset(
            lit for rule in self._rules for lit in rule.clauses[0].chars if lit not in _DIGITS
        )
        self._by_gate: dict[tuple[frozenset[str], bool], tuple[_CompiledRule, ...]] = {}
        self._key_pattern = re.compile(
            "|".join(f"(?:{p})" for p in self.patterns.sensitive_key_patterns),
            REGEX_FLAGS | re.IGNORECASE,
        )
        self.key_marker = self.patterns.marker(self.patterns.sensitive_key_kind)
        self._memo: dict[str, str] = {}
        self._memo_entries = memo_entries
        self._memo_max_len = CACHE_MAX_LEN if memo_entries > 0 else -1
        self._key_memo: dict[str, bool] = {}

    def scrub_text(self, text: str) -> str:
        """``text`` with every match of every rule replaced by its marker."""
        if len(text) <= self._memo_max_len:
            cached = self._memo.get(text)
            if cached is not None:
                return cached
            result = self._scrub(text)
            if len(self._memo) >= self._memo_entries:
                # Dropping everything is crude but O(1) amortised; the hot values come back
                # within a few spans.
                self._memo.clear()
            self._memo[text] = result
            return result
        if "\n" in text:
            # No rule matches a line break (tested), and a string edge and a line break look
            # the same to \b and \B: lines scrub independently, and the lines that repeat
            # across log bodies (stack traces, templates) hit the memo.
            return "\n".join(map(self.scrub_text, text.split("\n")))
        return self._scrub(text)

    def is_sensitive_key(self, key: str) -> bool:
        """Whether an attribute key's value is replaced whole (Authorization, Cookie, ...)."""
        known = self._key_memo.get(key)
        if known is None:
            known = self._key_pattern.fullmatch(key) is not None
            if len(self._key_memo) >= CACHE_MAX_ENTRIES:
                self._key_memo.clear()
            self._key_memo[key] = known
        return known

    def scrub_attribute(self, key: str, value: str) -> str:
        """The stored value of the string attribute ``key``: the marker for a sensitive key,
        else the scrubbed value."""
        if self.is_sensitive_key(key):
            return self.key_marker
        return self.scrub_text(value)

    def _scrub(self, text: str) -> str:
        lowered = text.lower()
        rules = self._candidates(lowered)
        digits = -1  # counted when a rule first needs it
        index = 0
        while index < len(rules):
            rule = rules[index]
            index += 1
            if not rule.holds(lowered):
                continue
            if rule.min_digits:
                if len(text) < rule.min_digits:
                    continue
                if digits < 0:
                    digits = sum(map(text.count, _DIGITS))
                if digits < rule.min_digits:
                    continue
            text, count = rule.pattern.subn(rule.replacement, text)
            if count:  # the text changed: gate the remaining rules on the new text
                lowered = text.lower()
                digits = -1
                rules = tuple(r for r in self._candidates(lowered) if r.order > rule.order)
                index = 0
        return text

    def _candidates(self, lowered: str) -> tuple[_CompiledRule, ...]:
        """The rules whose first clause may hold in ``lowered``, in file order."""
        gate = (self._gate_chars.intersection(lowered), not _DIGIT_SET.isdisjoint(lowered))
        rules = self._by_gate.get(gate)
        if rules is None:
            rules = tuple(rule for rule in self._rules if rule.may_run(*gate))
            if len(self._by_gate) < _MAX_GATES:  # distinct gates are few; bound them anyway
                self._by_gate[gate] = rules
        return rules
