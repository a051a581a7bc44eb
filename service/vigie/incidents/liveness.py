"""Dead apps: an app that was receiving requests and stops, told apart from a quiet night.

Silence alone proves nothing: a club's site may get no request between 2 and 6 in the morning.
Silence is news when the app's own history makes it improbable. The rule, per ``service.name``
(server spans, read on the per-minute rollup):

* the app is *silent since* the minute after its last server span; the silence counts only
  complete minutes, and at least :data:`MIN_SILENCE` of them (spans arrive in batches, late);
* on each of the previous :data:`HISTORY_DAYS` days on which the app already existed, take the
  same clock window (same length, same time of day) and count its requests;
* the app is *dead* when every one of those days (at least one) had at least
  :data:`DEAD_MIN_REQUESTS` requests in that window. Were requests a Poisson process at the
  quietest of those days' rates, this silence would have a probability below
  e^-10 ≈ 0.005 %. A single quiet day in the history (a holiday, a night without visitors)
  is enough to keep quiet: the rule prefers a late page to waking a captain for nothing.

As the silence grows, the window of every past day grows with it: a dead app stays dead until
requests come back. An app at 60 requests a minute is dead after :data:`MIN_SILENCE` minutes;
an app with 3 requests in an hour at night is not, before the silence covers enough of its past
nights' requests.

:func:`read_liveness` runs two queries per cycle (the second only when some app is silent);
:func:`judge` is the pure rule.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from vigie.store import Store
from vigie.store.migrations.m0010_slo_rollups import ROLLUP

MIN_SILENCE = timedelta(minutes=3)
HISTORY_DAYS = 7
DEAD_MIN_REQUESTS = 10
DAY = timedelta(days=1)
MINUTE = timedelta(minutes=1)

_SEEN = f"""\
SELECT ServiceName, max(Minute), min(Minute)
FROM {ROLLUP}
WHERE ServiceName IN {{services:Array(String)}} AND Total > 0
  AND Minute >= {{since:DateTime('UTC')}} AND Minute < {{until:DateTime('UTC')}}
GROUP BY ServiceName"""

# The same clock window on each past day k (1..HISTORY_DAYS): a minute m belongs to day k's
# window when (until - m) = k days + r with 0 < r <= the silence's length.
_HISTORY = f"""\
SELECT ServiceName, intDiv(dateDiff('second', Minute, {{until:DateTime('UTC')}}), 86400) AS k,
       sum(Total)
FROM {ROLLUP}
WHERE ServiceName IN {{services:Array(String)}}
  AND Minute >= {{since:DateTime('UTC')}} AND Minute < {{until:DateTime('UTC')}}
  AND dateDiff('second', Minute, {{until:DateTime('UTC')}}) % 86400 > 0
  AND dateDiff('second', Minute, {{until:DateTime('UTC')}}) % 86400
      <= arrayElement({{lengths:Array(UInt32)}}, indexOf({{services:Array(String)}}, ServiceName))
GROUP BY ServiceName, k
HAVING k BETWEEN 1 AND {HISTORY_DAYS}"""


@dataclass(frozen=True)
class Liveness:
    """Whether one app is dead at one instant, and why."""

    app: str
    silent_since: datetime | None  # start of the first minute without a request
    dead: bool
    reason: str
    usual: tuple[int, ...] = ()  # requests in the same window on each past day, newest first


def judge(
    app: str,
    last: datetime | None,
    first: datetime | None,
    end: datetime,
    history: Mapping[int, int],
) -> Liveness:
    """The rule of the module docstring. ``end``: the current minute (exclusive); ``history``:
    requests of the same window ``k`` days earlier, for the days the app existed."""
    if last is None or first is None:
        return Liveness(app, None, False, "no request in its history: nothing to miss")
    since = last + MINUTE
    silence = end - since
    if silence < MIN_SILENCE:
        return Liveness(app, None, False, "receives requests")
    days = [k for k in range(1, HISTORY_DAYS + 1) if first <= since - k * DAY]
    usual = tuple(int(history.get(k, 0)) for k in days)
    minutes = int(silence / MINUTE)
    if usual and min(usual) >= DEAD_MIN_REQUESTS:
        why = (
            f"no request for {minutes} min; the same window held {min(usual)} to {max(usual)} "
            f"requests on each of the {len(usual)} previous day(s)"
        )
        return Liveness(app, since, True, why, usual)
    why = (
        f"no request for {minutes} min, usual for it at this hour "
        f"({', '.join(map(str, usual)) or 'no history yet'} on the previous days)"
    )
    return Liveness(app, since, False, why, usual)


def read_liveness(store: Store, apps: Sequence[str], now: datetime) -> dict[str, Liveness]:
    """Every app's liveness at ``now`` (the rollup's minutes before ``now``'s minute)."""
    if not apps:
        return {}
    end = now.astimezone(UTC).replace(second=0, microsecond=0)
    start = end - (HISTORY_DAYS + 1) * DAY
    services = sorted(set(apps))
    seen: dict[str, tuple[datetime, datetime]] = {
        str(s): (_utc(last), _utc(first))
        for s, last, first in store.query(
            _SEEN, {"services": services, "since": _text(start), "until": _text(end)}
        ).rows
    }
    silent = {
        app: end - (last + MINUTE)
        for app, (last, _) in seen.items()
        if end - (last + MINUTE) >= MIN_SILENCE
    }
    history: dict[str, dict[int, int]] = defaultdict(dict)
    if silent:
        names = sorted(silent)
        rows = store.query(
            _HISTORY,
            {
                "services": names,
                "lengths": [int(min(silent[n], DAY).total_seconds()) for n in names],
                "since": _text(start),
                "until": _text(end),
            },
        ).rows
        for service, k, total in rows:
            history[str(service)][int(k)] = int(total)
    result = {}
    for app in services:
        last, first = seen.get(app, (None, None))
        result[app] = judge(app, last, first, end, history.get(app, {}))
    return result


def _text(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
