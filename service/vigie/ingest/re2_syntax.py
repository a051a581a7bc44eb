"""Is a regex in the common subset of Python ``re`` and Go's RE2 (the OpenTelemetry Collector)?

The PII patterns (``pii_patterns.yaml``) run in both engines and must mean the same thing in
both. This is a syntax guard, not a parser: it refuses what RE2 lacks (lookaround,
backreferences, possessive quantifiers, atomic groups, conditionals) and what the two dialects
read differently (``\\d``, ``\\w``, ``\\s``, ``\\Z``/``\\z``, ``(?<name>...)``, ...). The tests
also run every pattern through Go itself when a Go toolchain is installed.
"""

from __future__ import annotations

import re

# Escapes that either engine rejects or reads differently: backreferences (RE2 has none),
# Unicode-vs-ASCII classes, and anchors/escapes known to one dialect only.
_ESCAPE_PROBLEMS = {
    **{digit: "backreference" for digit in "123456789"},
    **{
        letter: f"\\{letter} is Unicode-aware in Python and ASCII in Go: spell the class out"
        for letter in "dDwWsS"
    },
    "Z": "\\Z is Python-only (Go has \\z)",
    "z": "\\z is Go-only (Python has \\Z)",
    "u": "\\u is Python-only",
    "U": "\\U is Python-only",
    "N": "\\N is Python-only",
    "p": "\\p is Go-only",
    "P": "\\P is Go-only",
}

# What may follow "(?": flags Go and Python share, named groups in the spelling both accept,
# non-capturing groups. Everything else (lookaround, atomic groups, conditionals, comments,
# (?P=name) backreferences, (?<name>...)) is refused.
_GROUP_OPENING = re.compile(r"\(\?(?:P<[A-Za-z_][A-Za-z0-9_]*>|[ims]*(?:-[ims]+)?[:)])")
_REPEAT = re.compile(r"\{([0-9]*)(?:,([0-9]*))?\}")


def re2_incompatibility(regex: str) -> str | None:
    """Why ``regex`` is not in the common subset of Python ``re`` and Go RE2, or None.

    A syntax guard, not a full parser: it walks the pattern once, skipping escapes and
    character classes, and refuses the constructs RE2 lacks or reads differently.
    """
    index = 0
    in_class = False
    after_quantifier = False
    while index < len(regex):
        char = regex[index]
        if char == "\\":
            escaped = regex[index + 1 : index + 2]
            if escaped in _ESCAPE_PROBLEMS:
                return _ESCAPE_PROBLEMS[escaped]
            if escaped == "x" and regex[index + 2 : index + 3] == "{":
                return "\\x{...} is Go-only: use \\xHH"
            index += 2
            after_quantifier = False
            continue
        if in_class:
            in_class = char != "]"
            index += 1
            continue
        if char == "[":
            in_class = True
            # A "]" right after "[" or "[^" is a literal in both engines.
            index += 2 if regex[index + 1 : index + 2] == "^" else 1
            index += 1 if regex[index : index + 1] == "]" else 0
            after_quantifier = False
            continue
        if regex.startswith("(?", index) and not _GROUP_OPENING.match(regex, index):
            return f"unsupported group syntax at {regex[index : index + 6]!r}"
        if char == "{":
            repeat = _REPEAT.match(regex, index)
            if repeat is not None:
                if any(bound and int(bound) > 1000 for bound in repeat.groups()):
                    return "repetition count above 1000 (RE2 limit)"
                index = repeat.end()
                after_quantifier = True
                continue
        if char == "+" and after_quantifier:
            return "possessive quantifier"
        after_quantifier = char in "*+?"
        index += 1
    return None
