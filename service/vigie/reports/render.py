"""A report version as Markdown (pure): pre-filled facts, then the human sections with prompts.

Telemetry text (error messages, exception types, routes, app names) is untrusted: it goes into
code spans with backticks and pipes neutralised, on one line. Human sections are the authors'
own Markdown and are kept as written.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlencode

from vigie.reports import texts
from vigie.reports.model import SECTIONS, Facts, Locale, ReportVersion, TimelineEntry
from vigie.reports.texts import duration, integer, number, percent, t
from vigie.reports.wording import event_detail, severity_label, slo_label

_MAX_CELL = 200
GRAFANA_MARGIN = timedelta(hours=1)


@dataclass(frozen=True)
class Review:
    """Who writes and reviews a report, and where it stands (:mod:`vigie.reports.review`)."""

    status: str  # draft | in_review | published
    actor: str  # who made the latest change
    at: datetime
    owner: str
    reviewer: str = ""
    authors: tuple[str, ...] = ()
    published_version: int = 0


def moment(value: datetime | None, locale: Locale, facts: Facts) -> str:
    """A time in the club's zone (UTC in parentheses)."""
    return texts.moment(value, locale, facts.incident.timezone)


def grafana_range(facts: Facts) -> str:
    """The app's dashboard over the incident, an hour either side; ``now`` while it is open."""
    url = facts.links.get("dashboard", "")
    if not url:
        return ""
    start = int((facts.impact_start - GRAFANA_MARGIN).timestamp() * 1000)
    resolved = facts.incident.resolved_at
    end = "now" if resolved is None else str(int((resolved + GRAFANA_MARGIN).timestamp() * 1000))
    return f"{url}?{urlencode({'from': str(start), 'to': end})}"


def timeline(facts: Facts, notes: Sequence[TimelineEntry] = ()) -> list[TimelineEntry]:
    """The generated timeline and the people's entries, by time."""
    return sorted([*facts.timeline, *notes], key=lambda e: e.at)


def club_label(facts: Facts) -> str:
    inc = facts.incident
    return inc.club_name or inc.club


def code(text: str) -> str:
    """Untrusted text as an inline code span, safe in a table cell."""
    flat = " ".join(text.split())[:_MAX_CELL].replace("`", "'").replace("|", "\\|")
    return f"`{flat}`" if flat else "``"


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


def ratio(locale: Locale, value: float | None) -> str:
    return percent(locale, None if value is None else 100 * value)


def title(version: ReportVersion) -> str:
    inc = version.facts.incident
    key = "title_security" if version.kind == "security" else "title"
    return t(version.locale, key, app=inc.app, slo=slo_label(version.locale, inc.slos[0].name),
             id=inc.id)  # fmt: skip


def fact_rows(facts: Facts, locale: Locale) -> list[tuple[str, str]]:
    """The pre-filled facts as (label, value) pairs: shared by Markdown and the web pages."""
    inc = facts.incident
    slo = inc.slos[0]
    latency = t(locale, "na")
    if facts.latency_during is not None:
        d, b = facts.latency_during, facts.latency_before
        during = " / ".join(number(locale, v, 1) for v in (d.p50_ms, d.p95_ms, d.p99_ms))
        latency = f"{during} ms ({t(locale, 'during')})"
        if b is not None:
            before = " / ".join(number(locale, v, 1) for v in (b.p50_ms, b.p95_ms, b.p99_ms))
            latency += f"{t(locale, 'sep')}{before} ms ({t(locale, 'before')})"
    severity = severity_label(locale, inc.severity)
    objective = (
        f"{slo_label(locale, slo.name)} — {percent(locale, slo.objective)} / {slo.window_days} "
        f"{t(locale, 'days')}"
    )
    acked = moment(inc.acknowledged_at, locale, facts)
    if inc.acknowledged_by:
        acked += f" ({inc.acknowledged_by})"
    requests = f"{integer(locale, facts.failed)} / {integer(locale, facts.total)}"
    consumed = t(locale, "budget_consumed", window=slo.window_days)
    pii = (
        []
        if facts.pii_matches is None
        else [(t(locale, "data_involved"), pii_statement(facts, locale))]
    )
    rows = [
        (t(locale, "incident_id"), inc.id),
        (t(locale, "club"), club_label(facts)),
        (t(locale, "app"), inc.app + (f" ({inc.environment})" if inc.environment else "")),
        (t(locale, "slo"), objective),
        (t(locale, "severity"), severity),
        (t(locale, "state"), texts.state_label(locale, inc.state)),
        (t(locale, "impact_start"), moment(facts.impact_start, locale, facts)),
        (t(locale, "impact_end"), moment(facts.impact_end, locale, facts)),
        (t(locale, "detected"), moment(inc.opened_at, locale, facts)),
        (t(locale, "acknowledged"), acked),
        (t(locale, "resolved"), moment(inc.resolved_at, locale, facts)),
        (t(locale, "ttd"), duration(locale, facts.time_to_detect)),
        (t(locale, "tta"), duration(locale, facts.time_to_acknowledge)),
        (t(locale, "ttr"), duration(locale, facts.time_to_resolve)),
        (t(locale, "alert_lifetime"), duration(locale, facts.alert_lifetime)),
        (t(locale, "failed_total"), requests),
        (t(locale, "peak_ratio"), ratio(locale, facts.peak_error_ratio)),
        (t(locale, "mean_ratio"), ratio(locale, facts.mean_error_ratio)),
        (t(locale, "latency"), latency),
        (consumed, percent(locale, facts.budget_consumed_pct)),
        (t(locale, "budget_remaining"), percent(locale, facts.budget_remaining_pct)),
    ]
    return rows + _covered_rows(facts, locale) + pii


def _covered_rows(facts: Facts, locale: Locale) -> list[tuple[str, str]]:
    """A platform incident's apps, each with its failed and total requests."""
    if not facts.covered:
        return []
    colon = " : " if locale == "fr" else ": "
    apps = "; ".join(
        f"{a.club}/{a.app}{f' ({a.environment})' if a.environment else ''}{colon}"
        f"{integer(locale, a.failed)} / {integer(locale, a.total)}"
        for a in facts.covered
    )
    return [(t(locale, "covered_apps", count=integer(locale, len(facts.covered))), apps)]


def _facts(facts: Facts, locale: Locale, notes: Sequence[TimelineEntry] = ()) -> list[str]:
    out = [f"## {t(locale, 'facts')}", ""]
    out += [f"- **{label}** : {value}" if locale == "fr" else f"- **{label}**: {value}"
            for label, value in fact_rows(facts, locale)]  # fmt: skip
    none = f"_{t(locale, 'none')}_"
    out += ["", f"### {t(locale, 'routes')}", ""]
    none_f = f"_{t(locale, 'none_f')}_"
    out += (
        _table(
            [t(locale, "route"), t(locale, "failed"), t(locale, "total")],
            [
                [code(r.route or "—"), integer(locale, r.failed), integer(locale, r.total)]
                for r in facts.routes
            ],
        )
        if facts.routes
        else [none_f]
    )
    for key, items, head in (
        ("errors", facts.error_messages, "message"),
        ("exceptions", facts.exception_types, "type"),
    ):
        out += ["", f"### {t(locale, key)}", ""]
        out += (
            _table(
                [t(locale, head), t(locale, "count")],
                [[code(c.name), integer(locale, c.count)] for c in items],
            )
            if items
            else [none]
        )
    out += ["", f"### {t(locale, 'traces')}", ""]
    out += [f"- [{tid}]({facts.links.get('trace:' + tid, '')})" for tid in facts.trace_ids] or [
        none
    ]
    out += ["", f"### {t(locale, 'timeline')}", ""]
    names = {facts.incident.club: club_label(facts)}
    tz = facts.incident.timezone
    out += _table(
        [texts.at_header(locale, tz), t(locale, "event")],
        [[moment(e.at, locale, facts),
          f"{texts.event_label(locale, e.kind)} — {code(event_detail(locale, e, tz, names))}"]
         for e in timeline(facts, notes)],
    )  # fmt: skip
    out += ["", f"### {t(locale, 'related')}", ""]
    out += [
        f"- {r.id} — {slo_label(locale, r.slo)}, {severity_label(locale, r.severity)}, "
        f"{moment(r.opened_at, locale, facts)}"
        for r in facts.related
    ] or [none]
    return out


def pii_statement(facts: Facts, locale: Locale) -> str:
    """The no-personal-data statement with its check; a warning when the check found some."""
    matches = sum(c.count for c in facts.pii_matches or ())
    statement = t(locale, "no_pii", app=facts.incident.app, matches=matches)
    return f"{statement} {t(locale, 'pii_found')}" if matches else statement


def prompt(version: ReportVersion, name: str) -> str:
    """A section's prompt; a security report's communication prompt names the school's IT."""
    locale = version.locale
    text = t(locale, f"{name}_prompt")
    contact = version.facts.incident.it_contact
    if name == "notification" and contact:
        text += " " + t(locale, "it_contact", contact=contact)
    return text


def _human(version: ReportVersion) -> list[str]:
    locale = version.locale
    out = ["", f"## {t(locale, 'human')}"]
    for name in SECTIONS[version.kind]:
        text = version.sections.get(name, "").strip()
        out += ["", f"### ✍ {t(locale, name)}", ""]
        if name == "data_involved" and version.facts.pii_matches is not None:
            out += [pii_statement(version.facts, locale), ""]
            out += _table(
                [t(locale, "pii_rule"), t(locale, "count")],
                [[code(c.name), integer(locale, c.count)] for c in version.facts.pii_matches],
            )
            out.append("")
        out.append(text or f"> _{prompt(version, name)}_")
    out += ["", f"### ✍ {t(locale, 'actions')}", ""]
    rows = [[_cell(item.get(f, "")) for f in ("action", "type", "owner", "due", "link")]
            for item in version.action_items]  # fmt: skip
    header = [t(locale, k) for k in ("action", "action_type", "owner", "due", "link")]
    out += _table(header, rows) if rows else [f"> _{t(locale, 'actions_prompt')}_"]
    return out


def review_rows(review: Review, locale: Locale, facts: Facts) -> list[tuple[str, str]]:
    """Status (who, when), owner, reviewer and authors as (label, value) pairs."""
    status = t(locale, "status_line", status=t(locale, f"status_{review.status}"),
               actor=review.actor, at=moment(review.at, locale, facts))  # fmt: skip
    rows = [(t(locale, "status"), status), (t(locale, "owner_report"), review.owner)]
    if review.reviewer:
        rows.append((t(locale, "reviewer"), review.reviewer))
    authors = ", ".join(review.authors) or t(locale, "none")
    return [*rows, (t(locale, "authors"), authors)]


def render_markdown(version: ReportVersion, review: Review | None = None) -> str:
    """The report as Markdown: headings, lists and tables only, so that it converts to PDF as
    it is (pandoc, a browser's print)."""
    locale = version.locale
    facts = version.facts
    sep = ": " if locale == "en" else " : "
    rows = review_rows(review, locale, facts) if review is not None else []
    status = [f"- **{label}**{sep}{value}" for label, value in rows]
    published = review is not None and review.status == "published"
    head = [
        f"# {title(version)}",
        "",
        *([] if published else [f"_{t(locale, 'draft_note')}_", ""]),
        t(locale, "version", version=version.version, author=version.author,
          at=moment(version.created_at, locale, facts)),
        "",
        *([*status, ""] if status else []),
        f"[{t(locale, 'incident_id')}]({facts.links.get('incident', '')}) · "
        f"[Grafana]({grafana_range(facts)})",
        "",
    ]  # fmt: skip
    body = [*_facts(facts, locale, version.notes), *_human(version)]
    return "\n".join([*head, *body]) + "\n"
