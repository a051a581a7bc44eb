"""One Discord embed per incident (pure): what broke, for whom, since when, how bad — in words.

The description is what a captain reads at 2 a.m.: the share of requests failing now (or slower
than the latency threshold), since when (a Discord timestamp, shown in the reader's time zone),
how much of the period's error budget is gone, the most frequent error and the routes hit. The
fields hold the objective, the state (who took it, at what time in the club's time zone), the
links (Grafana over the incident's time range, Vigie's incident page where it is acknowledged or
silenced) and, in the admins' channel only, the burn rates of the alert windows.

When the incidents do not all fit in 10 embeds and 6000 characters, the last embed lists the rest
one per line and ends with "… and N more".
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

from vigie.config.fields import parse_duration
from vigie.i18n import Formatter
from vigie.notify import markdown as md
from vigie.notify.notice import IncidentLine
from vigie.notify.texts import Texts

Payload = dict[str, Any]

COLOURS = {
    "page": 0xE74C3C,  # red
    "ticket": 0xE67E22,  # orange
    "no_data": 0x95A5A6,  # grey
    "acknowledged": 0xF1C40F,  # yellow
    "resolved": 0x2ECC71,  # green
}
ICONS = {"page": "🔴", "ticket": "🟠", "no_data": "⚪", "acknowledged": "🟡", "resolved": "✅"}
# The engine's pseudo-SLOs (parenthesised, so never a configured SLO's slug), named in words.
PSEUDO_SLOS = {
    "(telemetry)": "name_telemetry",
    "(silent)": "name_silent",
    "(platform)": "name_platform",
}
MONTH_WINDOWS = frozenset({"28d", "30d", "31d", "4w"})

_SUMMARY_MAX = 300  # the top error, cut: the report has it whole
_SUMMARY_MIN = 80  # the top error of one incident among many
_ROUTES_MAX = 3
_ROUTE_MAX = 60
_OVERFLOW_RESERVE = 1000  # characters kept for the "… and N more" embed


def name(line: IncidentLine, t: Texts) -> str:
    """``app · slo``, escaped; a pseudo-SLO in words; the platform incident by its name only."""
    slo = t(PSEUDO_SLOS[line.slo]) if line.slo in PSEUDO_SLOS else md.escape(line.slo)
    return f"{md.escape(line.app)} · {slo}" if line.app else slo


def look(line: IncidentLine) -> str:
    return line.state if line.state != "open" else line.severity


def url(link: str) -> str:
    """A trusted URL made safe inside ``[text](url)``: parentheses, spaces and brackets encoded."""
    return quote(link, safe=":/?&=#%@+,;~*!'$.-_")


def incident_embeds(
    lines: Sequence[IncidentLine], t: Texts, club_names: Mapping[str, str], *, admin: bool
) -> list[Payload]:
    if not lines:
        return []
    overflow_possible = len(lines) > md.EMBEDS_MAX
    budget = md.EMBEDS_TOTAL_MAX - (_OVERFLOW_RESERVE if overflow_possible else 0)
    slots = md.EMBEDS_MAX - 1 if overflow_possible else md.EMBEDS_MAX
    summary_max = max(_SUMMARY_MIN, min(_SUMMARY_MAX, 3000 // len(lines)))
    embeds: list[Payload] = []
    used = 0
    for line in lines[:slots]:
        embed = _embed(line, t, club_names, summary_max, admin)
        size = md.embed_size(embed)
        if used + size > budget:
            break
        embeds.append(embed)
        used += size
    rest = lines[len(embeds) :]
    if rest:
        embeds = embeds[: md.EMBEDS_MAX - 1]
        rest = lines[len(embeds) :]
        embeds.append(_overflow_embed(rest, t, md.EMBEDS_TOTAL_MAX - md.embeds_size(embeds)))
    return embeds


def lasted(line: IncidentLine) -> timedelta:
    """How long users suffered (the measured outage), else how long the alert was open."""
    assert line.resolved_at is not None
    return line.outage if line.outage is not None else line.resolved_at - line.since


def state_text(line: IncidentLine, t: Texts) -> str:
    severity = t(f"severity_{line.severity}")
    if line.state == "resolved" and line.resolved_at is not None:
        return t("state_resolved", duration=t.duration(lasted(line)))
    if line.state == "acknowledged" and line.acknowledged_by:
        at = t.fmt.time(line.acknowledged_at) if line.acknowledged_at else t("none")
        who = md.escape(line.acknowledged_by)
        return t("state_acknowledged", severity=severity, who=who, time=at)
    if line.state == "acknowledged":
        return t("state_acknowledged_anonymous", severity=severity)
    return t("state_open", severity=severity)


def what_broke(line: IncidentLine, t: Texts, summary_max: int = _SUMMARY_MAX) -> list[str]:
    """The plain-words sentences of the description, one per line."""
    if line.facts and line.state != "resolved":
        out = [fact_text(fact, t) for fact in line.facts]
        if line.budget_remaining is not None:
            out.append(budget_words(line.budget_remaining, line.window, t))
        return out
    if line.silent_since is not None:  # a dead app, in the captain's words and time zone
        out = [t("silent", app=md.escape(line.app), time=t.fmt.time(line.silent_since))]
    elif line.severity == "no_data":
        out = [t("telemetry_stopped")]
    elif line.state == "resolved":
        out = []  # "failing right now" would no longer be true
    elif line.failing_now is not None:
        kind = line.sli if line.sli in ("latency", "custom") else "availability"
        if kind == "latency" and line.threshold_ms is None:
            kind = "availability"
        threshold = t.number(line.threshold_ms or 0, 0)
        out = [t(f"failing_{kind}", share=t.percent(line.failing_now), threshold=threshold)]
    elif line.slo in PSEUDO_SLOS:
        out = []
    else:
        out = [t("failing_unknown")]
    out.append(t("since_line", when=t("since", ts=int(line.since.timestamp()))))
    if line.budget_remaining is not None:
        out.append(budget_words(line.budget_remaining, line.window, t))
    if error := md.escape(" ".join(line.summary.split())):
        out.append(t("top_error", error=md.truncate(error, summary_max)))
    if line.routes:
        routes = [md.truncate(md.escape(r), _ROUTE_MAX) for r in line.routes[:_ROUTES_MAX]]
        out.append(t("routes", routes=", ".join(routes)))
    return out


def fact_text(fact: tuple[str, int, str, str], t: Texts) -> str:
    """A failing probe, an expiring certificate or a Kubernetes signal, in words; times in the
    club's time zone."""
    subject, moment, outcome, detail = fact
    when = datetime.fromtimestamp(moment, UTC)
    # A URL from a reviewed SLO file: shown as itself, linking to the site.
    site = f"[{md.escape(subject)}]({url(subject)})"
    if outcome == "error":
        error = t(f"probe_error_{detail or 'other'}")
        return t("probe_no_answer", url=site, time=t.fmt.time(when), error=error)
    if outcome == "invalid":
        return t("probe_invalid", url=site, time=t.fmt.time(when))
    if outcome == "certificate":
        return t("certificate_expires", url=site, date=t.fmt.datetime(when))
    if outcome.startswith("k8s_"):
        text = t(outcome, object=md.escape(subject), time=t.fmt.time(when))
        return f"{text} {t('k8s_down')}" if detail == "down" else text
    return t("probe_status", url=site, time=t.fmt.time(when), status=md.escape(outcome))


def budget_words(remaining: float, window: str, t: Texts) -> str:
    """ "A consommé 30 % du budget d'erreur du mois." (over 100 %: "A épuisé …")."""
    if window in MONTH_WINDOWS:
        period = t("budget_month")
    elif window in ("7d", "1w"):
        period = t("budget_week")
    else:
        period = t("budget_window", window=t.window(md.escape(window)))
    used = 1.0 - remaining
    key = "budget_over" if used > 1.0 else "budget_used"
    return t(key, share=t.fmt.percent(max(0.0, used), 0), period=period)


def technical(line: IncidentLine, fmt: Formatter, t: Texts) -> str | None:
    """The burn rates of the alert windows, for admins, shortest window first."""
    rates = list(line.burn_rates)
    if not rates and line.burn_rate is not None and line.burn_window:
        rates = [(line.burn_window, line.burn_rate)]
    if not rates:
        return None
    pairs = ", ".join(
        t("burn_pair", burn=fmt.number(burn), window=fmt.window(md.escape(window)))
        for window, burn in sorted(rates, key=lambda wb: window_seconds(wb[0]))
    )
    return t("technical", burns=pairs)


def window_seconds(window: str) -> float:
    """An alert window's length (``"5m"`` → 300), to order windows; unknown forms last."""
    try:
        return parse_duration(window).total_seconds()
    except ValueError:
        return float("inf")


def _embed(
    line: IncidentLine,
    t: Texts,
    club_names: Mapping[str, str],
    summary_max: int,
    admin: bool,
) -> Payload:
    links = " · ".join(
        f"[{t(label)}]({url(link)})"
        for label, link in (
            ("link_dashboard", line.dashboard_url),
            ("link_incident", line.incident_url),
        )
        if link
    )
    fields: list[tuple[str, str, bool]] = []
    if line.objective > 0 and line.window:  # pseudo-SLOs (platform, telemetry) have none
        fields.append((t("field_slo"), t.objective(line.objective, md.escape(line.window)), True))
    fields.append((t("field_state"), state_text(line, t), True))
    fields.append((t("field_links"), links or t("none"), False))
    if admin and (detail := technical(line, t.fmt, t)):
        fields.append((t("field_technical"), detail, False))
    club = md.escape(club_names.get(line.club, line.club)) if line.club else t("platform_name")
    embed: Payload = {
        "title": md.truncate(f"{ICONS[look(line)]} {name(line, t)}", md.EMBED_TITLE_MAX),
        "description": md.truncate("\n".join(what_broke(line, t, summary_max)), 2000),
        "color": COLOURS[look(line)],
        "fields": [
            {
                "name": md.truncate(field_name, md.FIELD_NAME_MAX),
                "value": md.truncate(value, md.FIELD_VALUE_MAX),
                "inline": inline,
            }
            for field_name, value, inline in fields
        ],
        "footer": {
            "text": md.truncate(
                t("footer", club=club, incident=md.escape(line.incident_id)), md.FOOTER_MAX
            )
        },
        "timestamp": line.since.isoformat(),
    }
    if line.incident_url:
        embed["url"] = line.incident_url
    return embed


def _overflow_embed(lines: Sequence[IncidentLine], t: Texts, room: int) -> Payload:
    """One line per incident, as many as fit in ``room`` characters, then "… and N more"."""
    limit = min(md.EMBED_DESCRIPTION_MAX, room)
    worst = max(lines, key=lambda x: (x.severity == "page", x.state == "open"))
    rows: list[str] = []
    used = 0
    for index, line in enumerate(lines):
        share = f" — {t.percent(line.failing_now)}" if line.failing_now is not None else ""
        link = f"[{md.truncate(name(line, t), 120)}]({url(line.incident_url)})"
        row = f"{ICONS[look(line)]} {link}{share}"
        more = t("more", count=len(lines) - index - 1) if index < len(lines) - 1 else ""
        if used + len(row) + 1 + len(more) > limit:
            rows.append(t("more", count=len(lines) - index))
            break
        rows.append(row)
        used += len(row) + 1
    return {"description": md.truncate("\n".join(rows), limit), "color": COLOURS[look(worst)]}
