"""The test expander against the plugin's own expectations.

Backend cases are ``pkg/macros/macros_test.go`` (TestInterpolate, TestInterpolateNestedMacros) of
grafana/clickhouse-datasource v4.20.0; frontend cases follow ``applyConditionalAll`` and the
``format`` of ``src/data/CHDatasource.ts`` and scenes' variable interpolation.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from tests.dashboards.macros import (
    ALL,
    TimeRange,
    Variable,
    backend_macros,
    conditional_all,
    expand,
    template_variables,
)

FROM = datetime(2014, 11, 12, 11, 45, 26, 123000, tzinfo=UTC)
TO = datetime(2015, 11, 12, 11, 45, 26, 456000, tzinfo=UTC)
RANGE = TimeRange(FROM, TO, timedelta(minutes=1))


@pytest.mark.parametrize(("sql", "want"), [
    ("select * from foo where $__timeFilter(cast(sth as timestamp))",
     "select * from foo where cast(sth as timestamp) >= toDateTime(1415792726) AND "
     "cast(sth as timestamp) <= toDateTime(1447328726)"),
    ("select * from foo where $__timeFilter(cast(sth as timestamp) )",
     "select * from foo where cast(sth as timestamp) >= toDateTime(1415792726) AND "
     "cast(sth as timestamp) <= toDateTime(1447328726)"),
    ("select * from foo where $__timeFilter_ms(cast(sth as timestamp))",
     "select * from foo where cast(sth as timestamp) >= fromUnixTimestamp64Milli(1415792726123) "
     "AND cast(sth as timestamp) <= fromUnixTimestamp64Milli(1447328726456)"),
    ("select * from foo where ( date >= $__fromTime and date <= $__toTime ) limit 100",
     "select * from foo where ( date >= toDateTime(1415792726) and date <= "
     "toDateTime(1447328726) ) limit 100"),
    ("select * from foo where ( date >= $__fromTime_ms and date <= $__toTime_ms ) limit 100",
     "select * from foo where ( date >= fromUnixTimestamp64Milli(1415792726123) and date <= "
     "fromUnixTimestamp64Milli(1447328726456) ) limit 100"),
    ("SELECT $__timeInterval($__fromTime) AS from_time",
     "SELECT toStartOfInterval(toDateTime(toDateTime(1415792726)), INTERVAL 60 second) "
     "AS from_time"),
    ("select * from foo where $__timeFilter(coalesce(closed_at, $__toTime))",
     "select * from foo where coalesce(closed_at, toDateTime(1447328726)) >= "
     "toDateTime(1415792726) AND coalesce(closed_at, toDateTime(1447328726)) <= "
     "toDateTime(1447328726)"),
    ("SELECT count() / $__interval_s", "SELECT count() / 60"),
])
def test_backend_macros_as_the_plugin_tests_them(sql: str, want: str) -> None:
    assert backend_macros(sql, RANGE) == want


def test_interval_is_whole_seconds_and_at_least_one() -> None:
    short = TimeRange(FROM, TO, timedelta(milliseconds=200))
    assert backend_macros("$__interval_s", short) == "1"
    assert backend_macros("$__interval_s", TimeRange(FROM, TO, timedelta(seconds=90.9))) == "90"


def test_unknown_macro_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown macro"):
        backend_macros("SELECT $__nope(x)", RANGE)


ENV = Variable(("prod", "staging"))


@pytest.mark.parametrize(("variable", "want"), [
    (Variable(("prod", "staging")), "WHERE 1=1"),  # All
    (Variable(("prod", "staging"), ()), "WHERE 1=1"),  # nothing selected: ''
    (Variable(("prod", "staging"), ("prod",)), "WHERE env IN (${env:singlequote})"),
    (Variable(("prod",), ("prod",), multi=False), "WHERE env IN (${env:singlequote})"),
])
def test_conditional_all(variable: Variable, want: str) -> None:
    sql = "WHERE $__conditionalAll(env IN (${env:singlequote}), $env)"
    assert conditional_all(sql, {"env": variable}) == want


def test_conditional_all_needs_a_plain_variable_reference() -> None:
    """A format in the second argument hides the variable: the condition always stays."""
    sql = "WHERE $__conditionalAll(env IN (${env:singlequote}), ${env:singlequote})"
    assert conditional_all(sql, {"env": ENV}) == "WHERE env IN (${env:singlequote})"


def test_conditional_all_replacement_is_javascript_replace() -> None:
    """``$'`` in the condition is a replacement pattern of String.prototype.replace."""
    sql = "a $__conditionalAll(x = '$'', $env) b"
    assert conditional_all(sql, {"env": Variable(("p",), ("p",))}) == "a x = ' b' b"


@pytest.mark.parametrize(("variable", "sql", "want"), [
    (ENV, "IN ($env)", "IN ('prod','staging')"),
    (ENV, "IN (${env:singlequote})", "IN ('prod','staging')"),
    (Variable(ENV.options, ("prod",)), "IN (${env})", "IN ('prod')"),
    (Variable(("prod",), ("prod",), multi=False), "= '${env}'", "= 'prod'"),
    (Variable(("it's",), ("it's",), multi=False), "= ${env:singlequote}", "= 'it\\'s'"),
])
def test_variable_formats(variable: Variable, sql: str, want: str) -> None:
    assert template_variables(sql, {"env": variable}) == want


def test_other_names_are_left_for_the_backend() -> None:
    sql = "$__timeFilter(Timestamp) AND $other"
    assert template_variables(sql, {"env": ENV}) == sql


def test_expand_orders_the_passes_like_the_plugin() -> None:
    sql = ("SELECT 1 WHERE $__timeFilter(t) AND "
           "$__conditionalAll(e IN (${env:singlequote}), $env)")
    assert expand(sql, RANGE, {"env": Variable(ENV.options, ("staging",))}) == (
        "SELECT 1 WHERE t >= toDateTime(1415792726) AND t <= toDateTime(1447328726) AND "
        "e IN ('staging')")
    assert expand(sql, RANGE, {"env": Variable(ENV.options, (ALL,))}).endswith("AND 1=1")
