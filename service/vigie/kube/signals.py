"""Kubernetes signals of the club apps: the events that matter, turned into incidents.

The cluster collector (``collector_config/cluster.yaml``) sends Kubernetes events as log records
(contrib ``k8s_events`` receiver, ``k8s_event_to_logdata.go``): body = the event's message,
``SeverityText`` = its type (``Warning``), attributes ``k8s.event.reason``,
``k8s.namespace.name``, ``k8s.event.count``; resource ``k8s.object.kind`` / ``k8s.object.name``.
It also sends the ``k8s_cluster`` receiver's ``k8s.deployment.available`` / ``.desired`` gauges.

Each evaluation reads the Warning events of the last :data:`RECENT` for the namespaces of the
apps in the SLO files (``<app>-<environment>``, as Cedille's Argo CD applications name them, or
``<app>``) and sorts them into kinds (:func:`classify`). One verdict per app and kind, shaped
like an SLO's (``kubernetes-crashloop`` …), so the incident machinery groups, deduplicates,
reminds and resolves them like SLO incidents:

* ``page`` — the kind is seen and every deployment of the app's namespace has 0 pods available;
* ``ticket`` — the kind is seen;
* ``ok`` — seen in the last :data:`LOOKBACK` but not in the last :data:`RECENT` (its incident
  resolves after the calm cycles). A kind not seen for a day has no verdict at all.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from vigie.config.slo import AvailabilitySli, Slo
from vigie.slo.catalog import SloTarget
from vigie.slo.decision import Decision, State
from vigie.slo.windows import WINDOWS
from vigie.store import Store

RECENT = timedelta(minutes=15)
LOOKBACK = timedelta(hours=24)  # a kind seen within it gets a verdict (ok once quiet again)
KINDS = ("crashloop", "oom", "image_pull", "scheduling", "quota")
SLO_PREFIX = "kubernetes-"

_REASONS = ("BackOff", "Failed", "OOMKilling", "FailedScheduling", "FailedCreate", "Evicted")

EVENTS = f"""\
SELECT LogAttributes['k8s.namespace.name'] AS namespace,
       LogAttributes['k8s.event.reason'] AS reason, Body,
       ResourceAttributes['k8s.object.name'] AS object, max(Timestamp),
       sum(greatest(toUInt64OrZero(LogAttributes['k8s.event.count']), 1))
FROM otel_logs
WHERE SeverityText = 'Warning'
  AND Timestamp >= {{since:DateTime('UTC')}} AND Timestamp <= {{until:DateTime('UTC')}}
  AND LogAttributes['k8s.event.reason'] IN ({", ".join(f"'{r}'" for r in _REASONS)})
  AND LogAttributes['k8s.namespace.name'] IN {{namespaces:Array(String)}}
GROUP BY namespace, reason, Body, object"""

DEPLOYMENTS = """\
SELECT ResourceAttributes['k8s.namespace.name'] AS namespace,
       ResourceAttributes['k8s.deployment.name'] AS deployment, MetricName,
       argMax(Value, TimeUnix)
FROM otel_metrics_gauge
WHERE MetricName IN ('k8s.deployment.available', 'k8s.deployment.desired')
  AND TimeUnix >= {since:DateTime('UTC')} AND TimeUnix <= {until:DateTime('UTC')}
  AND ResourceAttributes['k8s.namespace.name'] IN {namespaces:Array(String)}
GROUP BY namespace, deployment, MetricName"""


def classify(reason: str, message: str) -> str | None:
    """The kind of a Warning event, from its reason and message (None: not one that matters).

    Kubernetes has no "CrashLoopBackOff" or "ImagePullBackOff" event: those are container
    states, announced by ``BackOff`` events whose message says what is backed off."""
    text = message.lower()
    if reason == "BackOff" and "restarting failed container" in text:
        return "crashloop"
    if reason in ("BackOff", "Failed") and ("pull" in text and "image" in text):
        return "image_pull"
    if reason == "OOMKilling" or "oomkilled" in text or "out of memory" in text:
        return "oom"
    if reason == "FailedScheduling":
        return "scheduling"
    if reason == "FailedCreate" and "exceeded quota" in text:
        return "quota"
    return None


def namespaces(app: str, environment: str | None) -> tuple[str, ...]:
    """The namespaces an app of the SLO files lives in, by Cedille's naming."""
    if environment is not None:
        return (f"{app}-{environment}",)
    return (app, f"{app}-prod", f"{app}-staging")


@dataclass(frozen=True)
class Seen:
    """Events of one kind in one namespace, over the recent window."""

    kind: str
    object: str  # the pod (or object) of the latest event
    last: datetime
    count: int


def read_events(store: Store, names: Sequence[str], now: datetime) -> dict[tuple[str, str], Seen]:
    """The events of the last day of each (namespace, kind)."""
    params = _params(names, now, LOOKBACK)
    found: dict[tuple[str, str], Seen] = {}
    for namespace, reason, body, obj, last, count in store.query(EVENTS, params).rows:
        kind = classify(str(reason), str(body))
        if kind is None:
            continue
        moment = last.replace(tzinfo=UTC) if last.tzinfo is None else last.astimezone(UTC)
        before = found.get((namespace, kind))
        if before is None:
            found[(namespace, kind)] = Seen(kind, str(obj), moment, int(count))
        else:
            newer = moment >= before.last
            found[(namespace, kind)] = Seen(
                kind,
                str(obj) if newer else before.object,
                max(moment, before.last),
                before.count + int(count),
            )
    return found


def read_down(store: Store, names: Sequence[str], now: datetime) -> set[str]:
    """Namespaces whose every deployment wants pods and has none available."""
    latest: dict[str, dict[str, dict[str, float]]] = defaultdict(lambda: defaultdict(dict))
    for namespace, deployment, metric, value in store.query(DEPLOYMENTS, _params(names, now)).rows:
        latest[namespace][deployment][metric] = float(value)
    return {
        namespace
        for namespace, deployments in latest.items()
        if deployments
        and all(
            d.get("k8s.deployment.desired", 1) > 0 and d.get("k8s.deployment.available", 1) <= 0
            for d in deployments.values()
        )
    }


def _params(names: Sequence[str], now: datetime, back: timedelta = RECENT) -> dict[str, Any]:
    return {
        "namespaces": sorted(set(names)),
        "since": (now - back).astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S"),
        "until": now.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S"),
    }


def _target(club: str, app: str, environment: str | None, kind: str) -> SloTarget:
    slo = Slo(name=SLO_PREFIX + kind.replace("_", "-"), objective=99.9,
              sli=AvailabilitySli(kind="availability"),
              description=f"Kubernetes signal: {kind}")
    return SloTarget(club, app, environment, slo)


def evaluate_kubernetes(
    store: Store, targets: Sequence[SloTarget], now: datetime
) -> list[tuple[SloTarget, Decision, dict[str, object]]]:
    """One verdict per app of the SLO files and kind (two queries for all of them)."""
    apps = sorted({(t.club, t.app, t.environment) for t in targets}, key=str)
    if not apps:
        return []
    names = [n for _, app, env in apps for n in namespaces(app, env)]
    events = read_events(store, names, now)
    down = read_down(store, names, now) if events else set()
    out = []
    for club, app, environment in apps:
        spaces = namespaces(app, environment)
        for kind in KINDS:
            seen = [events[(n, kind)] for n in spaces if (n, kind) in events]
            if not seen:
                continue
            target = _target(club, app, environment, kind)
            if max(s.last for s in seen) < now - RECENT:
                state: State = "ok"
                reason = f"no {kind} event in the last {RECENT}"
                details: dict[str, object] = {}
            else:
                latest = max(seen, key=lambda s: s.last)
                is_down = any(n in down for n in spaces)
                state = "page" if is_down else "ticket"
                reason = (
                    f"{sum(s.count for s in seen)} {kind} event(s) in the last {LOOKBACK}, "
                    f"latest on {latest.object}" + ("; no pod of the app is available"
                                                     if is_down else "")
                )
                details = {"kubernetes": {"kind": kind, "object": latest.object,
                                          "last": latest.last.isoformat(),
                                          "count": sum(s.count for s in seen), "down": is_down}}
            decision = Decision(state, reason, dict.fromkeys(WINDOWS), None, 0, 0, ())
            out.append((target, decision, details))
    return out
