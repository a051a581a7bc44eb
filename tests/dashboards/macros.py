"""Expands a panel's SQL the way Grafana and the ClickHouse plugin do before ClickHouse sees it.

Three passes, in the plugin's order (grafana/clickhouse-datasource v4.20.0):

1. ``$__conditionalAll(condition, $var)``, in the frontend (``src/data/CHDatasource.ts``,
   ``applyConditionalAll`` and ``getMacroArgs``): occurrences are taken from the last one back;
   arguments split at commas of bracket depth 1 (quotes are not considered); the variable name is
   read from the second argument with ``(?<=\\$\\{)[\\w\\d]+(?=\\})|(?<=\\$)[\\w\\d]+`` (so
   ``${v:fmt}`` never matches); when its ``current.value.toString()`` is ``''`` or ``'$__all'``
   the call becomes ``1=1``, else its first argument. The call is replaced with JavaScript's
   ``String.prototype.replace`` (first occurrence; ``$$``, ``$&``, ``$``` and ``$'`` in the
   replacement are patterns).
2. Dashboard variables, in the frontend (``getTemplateSrv().replace(sql, scoped, this.format)``):
   Grafana's variable regex (``grafana/scenes`` ``VARIABLE_REGEX``); a multi-value variable's
   value is the array of selected values, All (without a custom all value) the array of every
   option (``MultiValueVariable.getValue``); the plugin's ``format`` turns an array into
   ``'a','b'`` and leaves a single value bare; the ``singlequote`` format (scenes
   ``formatRegistry``) quotes each value, escaping ``'`` as ``\\'``, comma-joined. Names that are
   no variable (``$__timeFilter`` …) are left alone.
3. Backend macros (``pkg/macros/macros.go`` on ``grafana/macropro``): ``$__timeFilter(c)`` →
   ``c >= toDateTime(from) AND c <= toDateTime(to)``, ``$__timeFilter_ms(c)`` with
   ``fromUnixTimestamp64Milli(ms)``, ``$__fromTime``/``$__toTime`` → ``toDateTime(s)``,
   ``$__fromTime_ms``/``$__toTime_ms``, ``$__dateFilter(c)`` → ``toDate('YYYY-MM-DD')`` bounds,
   ``$__timeInterval(c)`` → ``toStartOfInterval(toDateTime(c), INTERVAL n second)`` and
   ``$__interval_s`` → ``n`` (whole seconds of the query interval, at least 1); arguments are
   trimmed, nested macros expand innermost first. An unknown macro raises here (the plugin would
   leave it for ClickHouse to reject).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

ALL = "$__all"


@dataclass(frozen=True)
class Variable:
    """A dashboard variable's state: its options and what is selected (``ALL`` for All)."""

    options: tuple[str, ...]
    selected: tuple[str, ...] = (ALL,)
    multi: bool = True

    @property
    def current_value(self) -> str | list[str]:
        """``current.value`` as Grafana keeps it: an array for multi-value variables."""
        return list(self.selected) if self.multi else self.selected[0]

    def value(self) -> str | list[str]:
        """What the interpolation formats (``MultiValueVariable.getValue``)."""
        if self.selected and self.selected[0] == ALL:
            return list(self.options)
        return self.current_value


def _js_to_string(value: str | list[str]) -> str:
    return ",".join(value) if isinstance(value, list) else value


def _macro_args(text: str, open_index: int) -> list[str] | None:
    """``getMacroArgs``: arguments of the call whose ``(`` is at ``open_index``."""
    args, depth, last = [], 0, open_index + 1
    for match in re.finditer(r"[(),]", text[open_index:]):
        char, at = match.group(), open_index + match.start()
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        if char == "," and depth == 1:
            args.append(text[last:at])
            last = at + 1
        if depth == 0:
            args.append(text[last:at])
            return args
    return None


def _js_replace_first(text: str, search: str, replacement: str) -> str:
    """JavaScript ``text.replace(search, replacement)`` for a string ``search``."""
    at = text.find(search)
    if at < 0:
        return text
    before, after = text[:at], text[at + len(search):]
    patterns = {"$$": "$", "$&": search, "$`": before, "$'": after}
    expanded = re.sub(r"\$[$&`']", lambda m: patterns[m.group()], replacement)
    return before + expanded + after


_VAR_IN_ARG = re.compile(r"(?<=\$\{)[\w\d]+(?=\})|(?<=\$)[\w\d]+")


def conditional_all(sql: str, variables: Mapping[str, Variable]) -> str:
    macro = "$__conditionalAll("
    index = sql.rfind(macro)
    while index != -1:
        params = _macro_args(sql, index + len(macro) - 1)
        if params is None or len(params) != 2:
            return sql
        phrase = params[0]
        name = _VAR_IN_ARG.search(params[1].strip())
        if name:
            variable = variables.get(name.group())
            value = _js_to_string(variable.current_value) if variable else None
            if value in ("", ALL):
                phrase = "1=1"
        sql = _js_replace_first(sql, f"{macro}{params[0]},{params[1]})", phrase)
        index = sql.rfind(macro)
    return sql


_VARIABLE_REGEX = re.compile(
    r"\$(\w+)|\[\[(\w+?)(?::(\w+))?\]\]|\$\{(\w+)((?:\.[^:^{}\[\]]+|\[\"[^\"]*\"\]|\['[^']*'\]"
    r"|\[[^\]\"']*\])*)(?::([^}]+))?\}"
)
# Names the frontend replaces itself (scenes macrosIndex): the panels must not use them, since
# this expander does not implement them.
_FRONTEND_MACROS = {"__from", "__to", "__interval", "__interval_ms", "__timezone", "__url",
                    "__data", "__series", "__field", "__value", "__user", "__org"}


def _plugin_format(value: str | list[str]) -> str:
    return "'" + "','".join(value) + "'" if isinstance(value, list) else value


def _singlequote(value: str | list[str]) -> str:
    values = value if isinstance(value, list) else [value]
    return ",".join("'" + v.replace("'", "\\'") + "'" for v in values)


def template_variables(sql: str, variables: Mapping[str, Variable]) -> str:
    def replace(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(2) or match.group(4)
        fmt = match.group(3) or match.group(6)
        if match.group(5):
            raise ValueError(f"field paths are not supported: {match.group()}")
        if name in _FRONTEND_MACROS:
            raise ValueError(f"frontend macro {match.group()} is not expanded by this test")
        variable = variables.get(name)
        if variable is None:
            return match.group()
        if fmt is None:
            return _plugin_format(variable.value())
        if fmt == "singlequote":
            return _singlequote(variable.value())
        raise ValueError(f"format {fmt} is not supported here")

    return _VARIABLE_REGEX.sub(replace, sql)


@dataclass(frozen=True)
class TimeRange:
    start: datetime
    end: datetime
    interval: timedelta

    @property
    def interval_s(self) -> int:
        return max(int(self.interval.total_seconds()), 1)


def _seconds(moment: datetime) -> str:
    return f"toDateTime({int(moment.timestamp())})"


def _millis(moment: datetime) -> str:
    return f"fromUnixTimestamp64Milli({int(moment.timestamp() * 1000)})"


def _between(column: str, low: str, high: str) -> str:
    return f"{column} >= {low} AND {column} <= {high}"


def _date(moment: datetime) -> str:
    return f"toDate('{moment.astimezone(UTC).strftime('%Y-%m-%d')}')"


_BACKEND: dict[str, Callable[[TimeRange, list[str]], str]] = {
    "timeFilter": lambda r, a: _between(a[0], _seconds(r.start), _seconds(r.end)),
    "timeFilter_ms": lambda r, a: _between(a[0], _millis(r.start), _millis(r.end)),
    "dateFilter": lambda r, a: _between(a[0], _date(r.start), _date(r.end)),
    "fromTime": lambda r, a: _seconds(r.start),
    "toTime": lambda r, a: _seconds(r.end),
    "fromTime_ms": lambda r, a: _millis(r.start),
    "toTime_ms": lambda r, a: _millis(r.end),
    "timeInterval": lambda r, a: (
        f"toStartOfInterval(toDateTime({a[0]}), INTERVAL {r.interval_s} second)"
    ),
    "interval_s": lambda r, a: str(r.interval_s),
}
_TAKES_ARGS = {"timeFilter", "timeFilter_ms", "dateFilter", "timeInterval"}


def backend_macros(sql: str, time: TimeRange) -> str:
    out, at = [], 0
    for match in re.finditer(r"\$__(\w+)", sql):
        if match.start() < at:
            continue  # inside the arguments of a macro already expanded
        name = match.group(1)
        if name not in _BACKEND:
            raise ValueError(f"unknown macro $__{name}")
        out.append(sql[at:match.start()])
        at = match.end()
        args: list[str] = []
        if name in _TAKES_ARGS:
            if sql[at:at + 1] != "(":
                raise ValueError(f"$__{name} needs arguments")
            found = _macro_args(sql, at)
            if found is None:
                raise ValueError(f"unbalanced arguments of $__{name}")
            args = [backend_macros(arg, time).strip() for arg in found]
            at += sum(len(arg) for arg in found) + len(found) + 1
            if len(args) != 1:
                raise ValueError(f"$__{name} takes one argument")
        out.append(_BACKEND[name](time, args))
    out.append(sql[at:])
    return "".join(out)


def expand(sql: str, time: TimeRange, variables: Mapping[str, Variable]) -> str:
    """The SQL ClickHouse receives for this panel query, range and variable state."""
    return backend_macros(template_variables(conditional_all(sql, variables), variables), time)
