"""The RE2 portability guard of the PII patterns."""

from __future__ import annotations

import pytest

from vigie.ingest.re2_syntax import re2_incompatibility


@pytest.mark.parametrize(
    ("regex", "problem"),
    [
        (r"(?<=user=)\S+", "group syntax"),
        (r"(?<!v)1\.2", "group syntax"),
        (r"foo(?=bar)", "group syntax"),
        (r"foo(?!bar)", "group syntax"),
        (r"(a)\1", "backreference"),
        (r"(?P<x>a)(?P=x)", "group syntax"),
        (r"(?<name>a)", "group syntax"),
        (r"(?>a+)", "group syntax"),
        (r"a++", "possessive"),
        (r"a{2,3}+", "possessive"),
        (r"\d+", "Unicode-aware"),
        (r"\w+@", "Unicode-aware"),
        (r"a\Z", "Python-only"),
        (r"\x{e9}", "Go-only"),
        (r"a{1001}", "1000"),
    ],
)
def test_re2_guard_refuses_non_portable_syntax(regex: str, problem: str) -> None:
    found = re2_incompatibility(regex)
    assert found is not None and problem in found


@pytest.mark.parametrize(
    "regex", [r"a\+\+", r"[+*]+", r"[\]]+x", r"(?i:a)b", r"(?P<pre>x)?", r"\\d", r"a{2}?"]
)
def test_re2_guard_accepts_portable_syntax(regex: str) -> None:
    assert re2_incompatibility(regex) is None
