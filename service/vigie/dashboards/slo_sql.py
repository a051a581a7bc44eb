"""The SQL of the SLO panels: SLI series, error budget, burn rates and every SLO's state.

The SLO engine keeps no per-evaluation state in ClickHouse, so the dashboards compute the
engine's verdicts in SQL from the per-minute rollup (``vigie_slo_minute``) or, for custom SLIs,
from the SLI's own source with its reviewed, checked expressions. Everything comes from the
engine's definitions, so the two cannot drift: the span fragments of :mod:`vigie.slo.spans`, the
windows and pairs of :mod:`vigie.slo.windows`, the policy, latency threshold and route filter of
:class:`vigie.slo.catalog.SloTarget`, the rules and tolerance of :func:`vigie.slo.decision.decide`
and the staleness of :mod:`vigie.slo.evaluator`. Windows end at the start of the minute of the
dashboard's end time (``$__toTime``), like an evaluation at that instant; tests compare every
number with the engine's.
"""

from __future__ import annotations

from collections.abc import Sequence

from vigie.config.slo import CustomSli
from vigie.dashboards.sql import literal
from vigie.slo.catalog import SloTarget
from vigie.slo.decision import _TOLERANCE
from vigie.slo.evaluator import DEFAULT_STALE_AFTER
from vigie.slo.spans import CLUB, ENVIRONMENT, MINUTE
from vigie.slo.windows import PAIRS, PRESENCE_WINDOW, WINDOWS
from vigie.store import tables
from vigie.store.tables import INCIDENT_EVENTS
from vigie.store.tables import SERVICE_ACTIVITY as ACTIVITY
from vigie.store.tables import SLO_MINUTE as ROLLUP

END = "toStartOfMinute($__toTime)"
"""The exclusive end of every SLO window: the start of the dashboard end time's minute."""

# The engine looks this far back for a service's last span (vigie.slo.evaluator).
_LAST_SEEN_LOOKBACK_S = int(max(WINDOWS.values()).total_seconds())


def _number(value: float) -> str:
    # repr round-trips: SQL gets the very float the Python engine compares with.
    return repr(float(value))


def _slo_where(target: SloTarget, environment: str, club: str) -> str:
    # a span counts for the club's app when it is the club's, or has no club (vigie.slo.spans)
    parts = [f"ServiceName = {literal(target.app)}", f"{club} IN ({literal(target.club)}, '')"]
    if target.environment is not None:
        parts.append(f"{environment} = {literal(target.environment)}")
    routes = target.slo.routes
    if routes is not None and routes.include:
        parts.append(f"Route IN ({', '.join(literal(r) for r in routes.include)})")
    if routes is not None and routes.exclude:
        parts.append(f"Route NOT IN ({', '.join(literal(r) for r in routes.exclude)})")
    return " AND ".join(parts)


def _good_total(target: SloTarget) -> tuple[str, str]:
    """Aggregates of good and all events over rows of the SLO's source table."""
    custom = target.custom
    if custom is not None:
        return f"toFloat64({custom.good})", f"toFloat64({custom.total})"
    if target.threshold_ms is None:
        return "toFloat64(sum(Total) - sum(Errors))", "toFloat64(sum(Total))"
    fast = (
        f"arraySum(mapValues(mapFilter((k, v) -> k <= {int(target.threshold_ms)}, LatencyMs)))"
    )
    return f"toFloat64(sum({fast}))", "toFloat64(sum(Total))"


def _source(target: SloTarget) -> tuple[str, str, str, str, str]:
    """(table, minute expression, environment expression, time column, club expression) of the
    SLO's events."""
    custom = target.custom
    if isinstance(custom, CustomSli) and custom.source == "raw":
        return tables.TRACES, MINUTE, ENVIRONMENT, "Timestamp", CLUB
    return ROLLUP, "Minute", "Environment", "Minute", "Club"


def sli_series(target: SloTarget) -> str:
    """SLI per time bucket of the dashboard range, and the objective as a ratio."""
    table, minute, environment, time, club = _source(target)
    good, total = _good_total(target)
    return (
        f"SELECT $__timeInterval({minute}) AS time, {good} / {total} AS sli,\n"
        f"       {_number(round(target.slo.objective / 100, 12))} AS objective\n"
        f"FROM {table}\n"
        f"WHERE $__timeFilter({time}) AND {_slo_where(target, environment, club)}\n"
        "GROUP BY time\nORDER BY time"
    )


def _labels(target: SloTarget) -> list[tuple[str, int]]:
    """(column suffix, seconds) of every alert window, then the SLO's period."""
    spans = [(label, int(span.total_seconds())) for label, span in WINDOWS.items()]
    return [*spans, ("period", int(target.slo.window_timedelta.total_seconds()))]


def _window_counts(target: SloTarget) -> str:
    """One row: ``t_<label>`` and ``b_<label>`` (events and bad events) for every window."""
    labels = _labels(target)
    seconds = ", ".join(str(s) for _, s in labels)
    longest = max(s for _, s in labels)
    table, minute, environment, time, club = _source(target)
    good, total = _good_total(target)
    rows = (
        f"SELECT w, {total} AS total, greatest({total} - {good}, 0) AS bad\n"
        f"    FROM {table}\n"
        f"    ARRAY JOIN arrayFilter(i -> {minute} >= {END} - toIntervalSecond([{seconds}][i]),"
        f" range(1, {len(labels) + 1})) AS w\n"
        f"    WHERE {_slo_where(target, environment, club)}\n"
        f"      AND {time} >= {END} - toIntervalSecond({longest}) AND {time} < {END}\n"
        "    GROUP BY w"
    )
    sums = ",\n       ".join(
        f"sumIf(total, w = {i}) AS t_{label}, sumIf(bad, w = {i}) AS b_{label}"
        for i, (label, _) in enumerate(labels, start=1)
    )
    return f"SELECT {sums}\nFROM (\n    {rows}\n)"


def _burn(label: str, budget: float) -> str:
    return f"if(t_{label} > 0, b_{label} / t_{label} / {_number(budget)}, NULL)"


def _pair_columns(target: SloTarget) -> tuple[list[str], dict[str, tuple[str, str, str]]]:
    """Per pair: (burning, fired, low traffic) conditions, as :func:`vigie.slo.decision.decide`
    judges them; and the select list of burn rates they use."""
    policy = target.policy
    columns = [f"{_burn(label, policy.budget)} AS burn_{label}" for label in WINDOWS]
    verdicts = {}
    for pair in PAIRS:
        bar = _number(pair.factor(policy.period) * (1 - _TOLERANCE))
        burning = (
            f"(t_{pair.long} > 0 AND t_{pair.short} > 0"
            f" AND burn_{pair.long} >= {bar} AND burn_{pair.short} >= {bar})"
        )
        enabled = policy.page if pair.severity == "page" else policy.ticket
        thick = f"t_{pair.long} >= {int(policy.min_events)}"
        fired = f"({burning} AND {thick})" if enabled else "0"
        thin = f"({burning} AND NOT ({thick}))" if enabled else "0"
        verdicts[pair.name] = (burning, fired, thin)
    return columns, verdicts


def _budget_left(target: SloTarget) -> str:
    budget = _number(target.policy.budget)
    return f"if(t_period > 0, 1 - b_period / ({budget} * t_period), NULL)"


def budget_remaining(target: SloTarget) -> str:
    """Share of the error budget left over the SLO's period (negative when overspent)."""
    return (
        f"SELECT {_budget_left(target)} AS budget_remaining\n"
        f"FROM (\n{_window_counts(target)}\n)"
    )


def burn_rates(target: SloTarget) -> str:
    """One row per alert pair: both burn rates, the threshold for this SLO's period, and the
    pair's verdict (firing, low_traffic, disabled or ok)."""
    columns, verdicts = _pair_columns(target)
    policy = target.policy
    rows = []
    for pair in PAIRS:
        burning, fired, thin = verdicts[pair.name]
        status = f"multiIf({fired}, 'firing', {thin}, 'low_traffic', {burning}, 'disabled', 'ok')"
        rows.append(
            f"tuple({literal(pair.name)}, {literal(pair.long)}, burn_{pair.long}, "
            f"{literal(pair.short)}, burn_{pair.short}, "
            f"{_number(pair.factor(policy.period))}, {status})"
        )
    return (
        "SELECT p.1 AS pair, p.2 AS long_window, p.3 AS long_burn, p.4 AS short_window,\n"
        "       p.5 AS short_burn, p.6 AS threshold, p.7 AS status\n"
        "FROM (\n"
        f"    SELECT arrayJoin([{', '.join(rows)}]) AS p\n"
        f"    FROM (SELECT *, {', '.join(columns)} FROM (\n{_window_counts(target)}\n))\n"
        ")"
    )


def _last_seen(target: SloTarget) -> str:
    where = f"ServiceName = {literal(target.app)} AND Club IN ({literal(target.club)}, '')"
    if target.environment is not None:
        where += f" AND Environment = {literal(target.environment)}"
    return (
        f"(SELECT max(Minute) FROM {ACTIVITY} WHERE {where}"
        f" AND Minute >= {END} - toIntervalSecond({_LAST_SEEN_LOOKBACK_S})"
        " AND Minute <= $__toTime)"
    )


def slo_state_branch(target: SloTarget, dashboard_uid: str) -> str:
    """One row for one SLO: club, app, SLO, environment, state, budget left, worst burn rate
    of the alert windows, and the uid of the app's dashboard."""
    columns, verdicts = _pair_columns(target)
    stale = int(DEFAULT_STALE_AFTER.total_seconds())
    pages = " OR ".join(verdicts[p.name][1] for p in PAIRS if p.severity == "page")
    tickets = " OR ".join(verdicts[p.name][1] for p in PAIRS if p.severity == "ticket")
    thin = " OR ".join(verdicts[p.name][2] for p in PAIRS)
    state = (
        "multiIf(toUnixTimestamp(last_seen) = 0, 'no_data',\n"
        f"        dateDiff('second', last_seen, $__toTime) > {stale}, 'no_data',\n"
        f"        t_{PRESENCE_WINDOW} <= 0, 'no_data',\n"
        f"        {pages}, 'page',\n        {thin}, 'low_traffic',\n"
        f"        {tickets}, 'ticket', 'ok')"
    )
    worst = ", ".join(f"ifNull(burn_{label}, 0)" for label in WINDOWS)
    return (
        f"SELECT {literal(target.club)} AS club, {literal(target.app)} AS app,\n"
        f"       {literal(target.name)} AS slo, {literal(target.environment or '')} AS environment,"
        f"\n       {state} AS state,\n"
        f"       {_budget_left(target)} AS budget_remaining,\n"
        f"       greatest({worst}) AS worst_burn, {literal(dashboard_uid)} AS uid\n"
        f"FROM (SELECT *, {', '.join(columns)}, {_last_seen(target)} AS last_seen FROM (\n"
        f"{_window_counts(target)}\n))"
    )


STATE_RANK = {"page": 0, "no_data": 1, "low_traffic": 2, "ticket": 3, "ok": 4}
"""Overview order: what needs attention first."""


# Incidents: an incident's status is that of its latest opening, re-opening or resolving event
# (the rule of vigie.incidents.store); only events up to the end of the range count.
_INCIDENTS_AT_END = (
    "SELECT incident_id, any(club) AS club, any(app) AS app,\n"
    "       argMaxIf(kind, seq, kind IN ('opened', 'reopened', 'resolved')) AS status\n"
    f"    FROM {INCIDENT_EVENTS} WHERE at <= $__toTime GROUP BY incident_id"
)


def slo_states(branches: Sequence[str]) -> str:
    """Every SLO's state (see :func:`slo_state_branch`) and the open incidents of its app (any
    SLO, and the app's telemetry incident) at the end of the range, worst first."""
    rank = "[" + ", ".join(literal(s) for s in STATE_RANK) + "]"
    return (
        "SELECT s.club AS club, s.app AS app, slo, environment, state, budget_remaining,\n"
        "       worst_burn, i.open AS open_incidents, uid\n"
        "FROM (\n" + "\nUNION ALL\n".join(branches) + "\n) AS s\n"
        "LEFT JOIN (\n"
        "    SELECT club, app, countIf(status != 'resolved') AS open\n"
        f"    FROM ({_INCIDENTS_AT_END})\n"
        "    GROUP BY club, app\n"
        ") AS i ON i.club = s.club AND i.app = s.app\n"
        f"ORDER BY indexOf({rank}, state), budget_remaining, club, app, slo"
    )


def compliance(target: SloTarget) -> str:
    """The SLI over the SLO's whole period (good events over all events) as of the end of the
    range: what the captain compares with the objective."""
    return (
        "SELECT if(t_period > 0, 1 - b_period / t_period, NULL) AS sli\n"
        f"FROM (\n{_window_counts(target)}\n)"
    )


def app_state(targets: Sequence[SloTarget], dashboard_uid: str) -> str:
    """The worst state (:data:`STATE_RANK`) of an app's SLOs at the end of the range."""
    rank = "[" + ", ".join(literal(s) for s in STATE_RANK) + "]"
    branches = "\nUNION ALL\n".join(slo_state_branch(t, dashboard_uid) for t in targets)
    return (
        f"SELECT state\nFROM (\n{branches}\n)\n"
        f"ORDER BY indexOf({rank}, state)\nLIMIT 1"
    )


def burn_rate_table(targets: Sequence[SloTarget]) -> str:
    """For admins: every SLO's alert pairs (:func:`burn_rates`), with club, app and SLO."""
    order = "[" + ", ".join(literal(p.name) for p in PAIRS) + "]"
    branches = "\nUNION ALL\n".join(
        f"SELECT {literal(t.club)} AS club, {literal(t.app)} AS app, {literal(t.name)} AS slo,"
        f" {literal(t.environment or '')} AS environment, *\nFROM (\n{burn_rates(t)}\n)"
        for t in targets
    )
    return (
        f"SELECT *\nFROM (\n{branches}\n)\n"
        f"ORDER BY club, app, slo, environment, indexOf({order}, pair)"
    )
