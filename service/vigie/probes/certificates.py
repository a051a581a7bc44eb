"""HTTPS certificates of the probed sites: a ticket before they expire, a page when it is close.

The prober reports, with each check of an ``https://`` probe, the seconds left until the
server certificate's ``notAfter`` (``httpcheck.tls.cert_remaining``, gauge). Each evaluation
reads the latest value per URL and turns each certificate (one per app and host:port) into a
verdict shaped like an SLO's, so the incident machinery opens, groups, reminds and resolves it
like any other:

* ``page`` — it expires within :data:`PAGE_WITHIN` (2 days) or has expired;
* ``ticket`` — it expires within the probe's ``certificate_warning`` (default 14 days);
* ``ok`` — later than that (a renewed certificate resolves the incident);
* ``low_traffic`` — no certificate seen lately (the prober's silence is told by the probe SLO's
  ``no_data``; a frozen verdict keeps an open incident as it is).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from vigie.config.slo import Probe, ProbeSli, Slo
from vigie.probes import metrics as m
from vigie.slo.catalog import SloTarget
from vigie.slo.decision import Decision, State
from vigie.slo.windows import WINDOWS
from vigie.store import Store

PAGE_WITHIN = timedelta(days=2)
LOOKBACK = timedelta(hours=1)
SLO_PREFIX = "certificat-"

LATEST = f"""\
SELECT Attributes['{m.URL}'] AS url, argMax(Value, TimeUnix), max(TimeUnix),
       argMax(Attributes['{m.TLS_CN}'], TimeUnix)
FROM otel_metrics_gauge
WHERE MetricName = '{m.CERT_REMAINING}'
  AND TimeUnix >= {{since:DateTime('UTC')}} AND TimeUnix <= {{until:DateTime('UTC')}}
  AND Attributes['{m.URL}'] IN {{urls:Array(String)}}
GROUP BY url"""


@dataclass(frozen=True)
class Seen:
    """The latest certificate report of one URL."""

    url: str
    expires: datetime
    common_name: str


def endpoint(url: str) -> str:
    """``host:port`` of an https URL: one certificate per endpoint."""
    parts = urlsplit(url)
    return f"{parts.hostname}:{parts.port or 443}"


def slo_name(url: str) -> str:
    """A stable SLO-like name for the certificate of ``url`` (``certificat-club-etsmtl-ca``)."""
    slug = re.sub(r"[^a-z0-9]+", "-", endpoint(url).removesuffix(":443").lower()).strip("-")
    return (SLO_PREFIX + slug)[:63].rstrip("-")


def verdict(probe: Probe, seen: Seen | None, now: datetime) -> tuple[State, str]:
    """The state of one certificate at ``now``, with the reason."""
    if seen is None:
        return "low_traffic", f"no certificate of {probe.url} seen in the last {LOOKBACK}"
    left = seen.expires - now
    when = seen.expires.isoformat()
    if left <= timedelta(0):
        return "page", f"the certificate of {probe.url} expired at {when}"
    if left <= PAGE_WITHIN:
        return "page", f"the certificate of {probe.url} expires at {when}, within {PAGE_WITHIN}"
    if left <= probe.certificate_warning:
        return "ticket", (
            f"the certificate of {probe.url} expires at {when}, "
            f"within {probe.certificate_warning}"
        )
    return "ok", f"the certificate of {probe.url} expires at {when}"


def certificate_targets(targets: Sequence[SloTarget]) -> list[tuple[SloTarget, Probe]]:
    """One pseudo-SLO target per app and https endpoint probed (its first probe there)."""
    apps = {(t.club, t.app, t.environment): t.probes for t in targets if t.probes}
    out: list[tuple[SloTarget, Probe]] = []
    for (club, app, environment), probes in apps.items():
        seen: set[str] = set()
        for probe in probes:
            if not probe.is_tls or endpoint(probe.url) in seen:
                continue
            seen.add(endpoint(probe.url))
            slo = Slo(name=slo_name(probe.url), objective=99.9, sli=ProbeSli(kind="probe"),
                      description=f"HTTPS certificate of {endpoint(probe.url)}")
            out.append((SloTarget(club, app, environment, slo, (probe,)), probe))
    return out


def read_latest(store: Store, urls: Sequence[str], now: datetime) -> dict[str, Seen]:
    """The latest certificate report of each URL in the look-back (one query)."""
    rows = store.query(
        LATEST,
        {
            "urls": sorted(set(urls)),
            "since": (now - LOOKBACK).astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S"),
            "until": now.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S"),
        },
    ).rows
    return {
        url: Seen(url, at.replace(tzinfo=UTC) + timedelta(seconds=float(left)), str(cn))
        for url, left, at, cn in rows
    }


def decision(state: State, reason: str) -> Decision:
    """A verdict shaped like an SLO's: no events, no burn rate in any window."""
    return Decision(state, reason, dict.fromkeys(WINDOWS), None, 0, 0, ())


def details(seen: Seen | None) -> dict[str, object]:
    """What the notices say about the certificate."""
    if seen is None:
        return {}
    return {"certificate": {"url": seen.url, "expires": seen.expires.isoformat(),
                            "common_name": seen.common_name}}


def evaluate_certificates(
    store: Store, targets: Sequence[SloTarget], now: datetime
) -> list[tuple[SloTarget, Decision, dict[str, object]]]:
    """Every certificate's verdict at ``now`` (one query; none without an https probe)."""
    pairs = certificate_targets(targets)
    if not pairs:
        return []
    latest = read_latest(store, [probe.url for _, probe in pairs], now)
    out = []
    for target, probe in pairs:
        seen = latest.get(probe.url)
        state, reason = verdict(probe, seen, now)
        out.append((target, decision(state, reason), details(seen)))
    return out
