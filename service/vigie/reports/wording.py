"""Engine values in the reader's words: SLOs and pseudo-SLOs, severities, windows, channels, and
each timeline entry as a sentence built from its values (``TimelineEntry.args``), so that no
engine identifier or English reason reaches a French reader (and the reverse)."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from vigie.i18n import Formatter
from vigie.reports.model import DEFAULT_TIMEZONE, Locale, TimelineEntry
from vigie.reports.texts import TEXTS, moment, number, percent, t

_DEPLOY = re.compile(r"^service\.version (?P<version>\S+)(?: \(← (?P<previous>[^)]*)\))?$")
_FIRING = ("opened", "escalated", "reopened", "refired", "deescalated")


def slo_label(locale: Locale, slo: str) -> str:
    """A standard SLO or pseudo-SLO in words; a club's own SLO names are kept."""
    key = {"latency": "latency_slo"}.get(slo, slo)
    if key in ("availability", "latency_slo", "(telemetry)", "(silent)", "(platform)"):
        return TEXTS[locale][key]
    return slo


def severity_label(locale: Locale, severity: str) -> str:
    return TEXTS[locale].get(f"severity_{severity}", severity)


def window_label(locale: Locale, window: str) -> str:
    """``1h`` → ``1 h``; ``30m`` → ``30 min``; ``3d`` → ``3 j`` (fr)."""
    return Formatter(locale).window(window)


def of_name(locale: Locale, name: str) -> str:
    """``of AlgoÉTS`` / ``d'AlgoÉTS``, ``de Cédille`` (French elision before a vowel)."""
    return Formatter(locale).of(name)


def channel_label(locale: Locale, channel: str, club_names: dict[str, str]) -> str:
    return t(locale, "admins_channel") if channel == "admins" else club_names.get(channel, channel)


def event_detail(
    locale: Locale,
    entry: TimelineEntry,
    tz: str = DEFAULT_TIMEZONE,
    club_names: dict[str, str] | None = None,
) -> str:
    """A timeline entry's detail in the reader's language, from its values (``args``); the
    engine's text only for entries stored before they had values."""
    a: dict[str, Any] = entry.args
    kind = entry.kind
    if kind == "deploy":  # "service.version 1.1 (← 1.0)", from the facts
        found = _DEPLOY.match(entry.detail)
        if found is None:
            return entry.detail
        text = t(locale, "ev_deploy", version=found["version"])
        return text + (
            t(locale, "ev_replaces", previous=found["previous"]) if found["previous"] else ""
        )
    if kind == "note":
        author = f" ({a['author']})" if a.get("author") else ""
        return entry.detail + author
    if not a:
        return entry.detail
    if kind == "widened" or (kind in _FIRING and "apps" in a):
        return t(locale, "ev_platform", severity=severity_label(locale, str(a.get("severity"))),
                 apps=a.get("apps", 0))  # fmt: skip
    if kind in _FIRING and "silent_since" in a:
        since = datetime.fromisoformat(str(a["silent_since"])) if a["silent_since"] else None
        return t(locale, "ev_silent", severity=severity_label(locale, str(a.get("severity"))),
                 since=moment(since, locale, tz))  # fmt: skip
    if kind in _FIRING:
        severity = severity_label(locale, str(a.get("severity", "")))
        if a.get("severity") == "no_data":
            return t(locale, "ev_no_data", severity=severity)
        if a.get("burn") is None:
            return severity
        text = t(locale, "ev_fired", severity=severity, burn=number(locale, float(a["burn"]), 1),
                 window=window_label(locale, str(a.get("window", ""))))  # fmt: skip
        if a.get("budget") is not None:
            budget = percent(locale, float(a["budget"]), 1)
            text += TEXTS[locale]["sep"] + t(locale, "ev_budget", budget=budget)
        return text
    if kind == "resolved":
        if a.get("calm"):
            return t(locale, "ev_resolved", calm=a["calm"])
        return t(locale, "ev_gone") if a.get("gone") else t(locale, "ev_back")
    if kind == "acknowledged":
        return t(locale, "ev_by", author=a.get("author", ""))
    if kind == "silenced":
        until = datetime.fromisoformat(str(a["until"])) if a.get("until") else None
        return t(locale, "ev_silenced", author=a.get("author", ""), comment=a.get("comment", ""),
                 until=moment(until, locale, tz))  # fmt: skip
    if kind == "unsilenced":
        return t(locale, "ev_unsilenced")
    if kind == "notified":
        what = TEXTS[locale].get(f"kind_{a.get('what', '')}", TEXTS[locale]["kind_other"])
        state = a.get("state", "")
        if state in ("failed", "dead"):
            what += TEXTS[locale]["sep"] + t(locale, "ev_failed")
        elif state == "pending":
            what += TEXTS[locale]["sep"] + t(locale, "ev_pending")
        channel = channel_label(locale, str(a.get("channel", "")), club_names or {})
        return t(locale, "ev_notified", channel=channel, what=what)
    return entry.detail
