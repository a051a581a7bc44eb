"""Checks on the SQL expressions of custom SLIs.

They are written by platform admins in reviewed files, not by users at runtime, and the SLO engine
binds every runtime value as a parameter. The check still refuses anything that is not one plain
expression, so that a slip cannot turn the engine's query into another statement: no ``;``, no
comments, no top-level comma, no subquery, no query clauses (``SETTINGS``, ``FORMAT``, ``INTO``),
no ``{…}`` (the parameter placeholder syntax), balanced brackets and closed quotes.
"""

from __future__ import annotations

import re

FORBIDDEN_KEYWORDS = frozenset({"SELECT", "UNION", "SETTINGS", "FORMAT", "INTO", "INSERT"})
_WORD_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_QUOTES = {"'": "'", "`": "`", '"': '"'}
_CLOSING = {")": "(", "]": "["}


def _strip_quoted(expr: str) -> str:
    """The expression with the contents of string literals and quoted identifiers blanked out,
    so that keywords or ``;`` inside quotes are not mistaken for syntax."""
    out: list[str] = []
    i = 0
    while i < len(expr):
        ch = expr[i]
        if ch in _QUOTES:
            end = i + 1
            while end < len(expr):
                if expr[end] == "\\":
                    end += 2
                    continue
                if expr[end] == _QUOTES[ch]:
                    if expr[end + 1 : end + 2] == ch:  # doubled quote escapes itself
                        end += 2
                        continue
                    break
                end += 1
            if end >= len(expr):
                raise ValueError("unclosed quote")
            out.append(ch + " " * (end - i - 1) + ch)
            i = end + 1
        else:
            out.append(ch)
            i += 1
    return "".join(out)


def check_sql_expression(expr: str) -> str:
    """Return ``expr`` stripped if it is one plain SQL expression, else raise ``ValueError``."""
    expr = expr.strip()
    if not expr:
        raise ValueError("empty SQL expression")
    bare = _strip_quoted(expr)
    for token, why in ((";", "';'"), ("--", "a comment"), ("/*", "a comment"), ("#", "a comment")):
        if token in bare:
            raise ValueError(f"must be a single expression: {why} is not allowed")
    if "{" in bare or "}" in bare:
        raise ValueError("'{' and '}' are not allowed (runtime values are bound by the engine)")
    depth: list[str] = []
    for ch in bare:
        if ch in "([":
            depth.append(ch)
        elif ch in _CLOSING:
            if not depth or depth.pop() != _CLOSING[ch]:
                raise ValueError("unbalanced brackets")
        elif ch == "," and not depth:
            raise ValueError("must be a single expression: top-level ',' is not allowed")
    if depth:
        raise ValueError("unbalanced brackets")
    for word in _WORD_RE.findall(bare):
        if word.upper() in FORBIDDEN_KEYWORDS:
            raise ValueError(f"must be a single expression: {word.upper()} is not allowed")
    return expr
