from __future__ import annotations

import pytest

from vigie.config.sql_expr import check_sql_expression


@pytest.mark.parametrize(
    "expr",
    [
        "count()",
        "countIf(StatusCode != 'Error' AND Duration <= 5e8)",
        "countIf(SpanAttributes['http.route'] = '/a;b -- c {id}')",  # syntax inside quotes
        "sumIf(good, `weird;name` > 0)",
        "countIf(x IN ('a', 'it''s'))",
        "trim(BOTH ' ' FROM SpanName) != ''",
    ],
)
def test_plain_expressions_pass(expr: str) -> None:
    assert check_sql_expression(f"  {expr}\n") == expr


@pytest.mark.parametrize(
    ("expr", "reason"),
    [
        ("", "empty"),
        ("count(); DROP TABLE otel_traces", "';'"),
        ("count() -- comment", "comment"),
        ("count() /* x */", "comment"),
        ("count() SETTINGS max_threads = 1", "SETTINGS"),
        ("count() FORMAT JSON", "FORMAT"),
        ("count() INTO OUTFILE 'x'", "INTO"),
        ("countIf(x IN (SELECT 1))", "SELECT"),
        ("count(), count()", "top-level ','"),
        ("count(", "unbalanced"),
        ("count())", "unbalanced"),
        ("countIf(x = 'a)", "unclosed quote"),
        ("countIf(Duration > {t:UInt64})", "'{'"),
    ],
)
def test_anything_but_one_expression_is_refused(expr: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        check_sql_expression(expr)
