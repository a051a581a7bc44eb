"""A sample of every notice kind, in French and English, rendered as Discord would show it.

``python -m vigie.notify.samples --write docs/notifications.md`` rewrites the samples section
of the notifications doc (between its ``samples`` markers), so the doc cannot drift from the
renderer (``--check`` fails when it has: ``tests/notify/test_samples.py`` runs it). The same
samples feed the language test: no English word in a French message, and the reverse.

The moment is fixed (the doc must not change from one run to the next); it is no stored data.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from vigie.i18n import LOCALES, Locale
from vigie.notify.digest import Digest, WeekApp, WeekIncident, WeekSlo, to_json
from vigie.notify.notice import ADMINS, IncidentLine, Kind, Notice
from vigie.notify.render import render_edit, render_message

MOMENT = datetime(2026, 12, 8, 7, 14, tzinfo=UTC)  # 02:14 in Montréal
CLUB_NAMES = {"algoets": "AlgoÉTS", "cedille": "Cédille"}
CAPTAIN = "412345678901234567"
ADMIN = "300000000000000001"
ADMIN_ROLE = "&500000000000000001"
INCIDENT = "INC-7Q2K4M9XBA"
TOP_ERROR = "connection to server at postgres.algoets.svc (10.0.3.7), port 5432 failed: refused"
ROUTES = ("POST /api/submissions", "GET /api/leaderboard")
WHO = "Zoé Tremblay"
DATA = (
    TOP_ERROR, *ROUTES, WHO, "AlgoÉTS", "Cédille", "judge", "site", "availability", "latency",
    "timeout after 30 s",
)  # fmt: skip
"""Names and telemetry in the samples: the reader sees them as the app wrote them."""

BEGIN, END = "<!-- samples:begin -->", "<!-- samples:end -->"


@dataclass(frozen=True)
class Sample:
    title: str  # what the doc calls it
    kind: Kind
    notice: Notice
    edit_of: Notice | None = None  # an edit: rendered as the PATCH of this original

    def body(self) -> dict[str, Any]:
        if self.edit_of is not None:
            return render_edit(self.edit_of, [self.notice], club_names=CLUB_NAMES)
        mentions = self.notice.mention_user_ids
        return render_message(
            self.notice,
            club_names=CLUB_NAMES,
            mentions=mentions,
            original_link="https://discord.com/channels/1/2/3",
        )


def _line(**changes: Any) -> IncidentLine:
    since = MOMENT - timedelta(minutes=23)
    base = IncidentLine(
        incident_id=INCIDENT,
        club="algoets",
        app="judge",
        slo="availability",
        severity="page",
        state="open",
        objective=99.9,
        window="30d",
        burn_rate=61.7,
        burn_window="1h",
        budget_remaining=0.7,
        since=since,
        resolved_at=None,
        dashboard_url="https://grafana.cedille.club/d/vigie-algoets-judge?from=1796710440000&to=now",
        incident_url=f"https://vigie.cedille.club/incidents/{INCIDENT}",
        summary=TOP_ERROR,
        sli="availability",
        failing_now=0.86,
        burn_rates=(("1h", 61.7), ("5m", 120.0)),
        routes=ROUTES,
    )
    return replace(base, **changes)


def _notice(locale: Locale, kind: Kind, channel: str = "algoets", **changes: Any) -> Notice:
    values: dict[str, Any] = {
        "key": f"sample-{kind}-{channel}",
        "channel": channel,
        "locale": locale,
        "kind": kind,
        "lines": (_line(),),
        "created_at": MOMENT,
        "mention_user_ids": (CAPTAIN,) if channel != ADMINS else (ADMIN, ADMIN_ROLE),
    }
    values.update(changes)
    return Notice(**values)


def _digest(club: str) -> str:
    start = datetime(2026, 11, 30, 5, 0, tzinfo=UTC)  # Monday 00:00 in Montréal
    app = WeekApp(
        club="algoets",
        club_name="AlgoÉTS",
        app="judge",
        slos=(WeekSlo("availability", "ok", 0.62), WeekSlo("latency", "ticket", 0.18)),
        incidents=(
            WeekIncident(
                INCIDENT,
                "availability",
                "page",
                start + timedelta(days=2, hours=7),
                start + timedelta(days=2, hours=8, minutes=12),
                f"https://vigie.cedille.club/incidents/{INCIDENT}",
            ),
        ),
        top_errors=((TOP_ERROR, 412), ("timeout after 30 s", 37)),
        dashboard_url="https://grafana.cedille.club/d/vigie-algoets-judge",
    )
    name = CLUB_NAMES.get(club, "")
    return to_json(Digest(start, start + timedelta(days=7), club, name, (app,)))


def samples(locale: Locale) -> Iterator[Sample]:
    """One sample of every kind (and of the main variants) in ``locale``."""
    opened = _notice(locale, "open")
    yield Sample("open — a page, in the club's channel", "open", opened)
    admins = _notice(locale, "open", ADMINS)
    yield Sample("open — the same page, in the admins' channel", "open", admins)
    latency = _line(
        slo="latency", severity="ticket", sli="latency", threshold_ms=500, failing_now=0.34,
        budget_remaining=-0.12, summary="", routes=("GET /api/leaderboard",),
    )  # fmt: skip
    ticket = _notice(locale, "open", lines=(latency,), mention_user_ids=())
    yield Sample("open — a latency ticket (mentions nobody)", "open", ticket)
    telemetry = _line(
        slo="(telemetry)", severity="no_data", objective=0, window="", burn_rate=None,
        burn_window=None, budget_remaining=None, failing_now=None, burn_rates=(), summary="",
        routes=(),
    )  # fmt: skip
    silent = _notice(locale, "open", ADMINS, lines=(telemetry,), mention_user_ids=())
    yield Sample("open — telemetry stopped (admins)", "open", silent)
    yield Sample(
        "update — still ongoing (a reminder pings nobody)",
        "update",
        _notice(locale, "update", mention_user_ids=()),
    )
    acked = _line(state="acknowledged", acknowledged_by=WHO, acknowledged_at=MOMENT)
    ack = _notice(locale, "ack", lines=(acked,), edit_of=opened.key)
    yield Sample("ack — the original message, edited", "ack", ack, edit_of=opened)
    yield Sample("ack — posted when the original is gone", "ack", ack)
    resolved = _line(state="resolved", resolved_at=MOMENT + timedelta(minutes=49))
    resolve = _notice(locale, "resolve", lines=(resolved,), edit_of=opened.key)
    yield Sample("resolve — the original message, edited", "resolve", resolve, edit_of=opened)
    yield Sample("resolve — the follow-up message", "resolve", resolve)
    escalation = _notice(locale, "escalation", ADMINS, created_at=MOMENT + timedelta(minutes=15))
    yield Sample("escalation — nobody took the page (admins)", "escalation", escalation)
    reminder = _notice(locale, "reminder", created_at=MOMENT + timedelta(minutes=15))
    yield Sample("reminder — the same, to the captains", "reminder", reminder)
    platform = _line(
        incident_id="INC-PLATFORM01", club="", app="", slo="(platform)", objective=0, window="",
        burn_rate=None, burn_window=None, budget_remaining=None, failing_now=None, burn_rates=(),
        summary="", routes=(), dashboard_url="",
        incident_url="https://vigie.cedille.club/incidents/INC-PLATFORM01",
    )  # fmt: skip
    covered = (_line(), _line(incident_id="INC-3MZ8T1PQ0C", club="cedille", app="site"))
    yield Sample(
        "platform — many apps at once (admins)",
        "platform",
        _notice(locale, "platform", ADMINS, lines=(platform, *covered), extra={"apps_total": "5"}),
    )
    yield Sample(
        "platform_captain — a club's apps are part of it",
        "platform_captain",
        _notice(locale, "platform_captain", lines=(platform, covered[0]), mention_user_ids=()),
    )
    yield Sample(
        "webhook_dead — a club's webhook was deleted (admins)",
        "webhook_dead",
        _notice(locale, "webhook_dead", ADMINS, lines=(), extra={"channel": "algoets"}),
    )
    report = {"url": f"https://vigie.cedille.club/incidents/{INCIDENT}/report"}
    yield Sample(
        "report_ready — the post-incident draft",
        "report_ready",
        _notice(locale, "report_ready", lines=(resolved,), mention_user_ids=(), extra=report),
    )
    for channel, title in (("algoets", "a club's channel"), (ADMINS, "the admins' summary")):
        digest = _notice(
            locale, "digest", channel, lines=(), mention_user_ids=(),
            extra={"digest": _digest("" if channel == ADMINS else channel)},
        )  # fmt: skip
        yield Sample(f"digest — Monday morning, {title}", "digest", digest)


def visible_text(body: Mapping[str, Any]) -> list[str]:
    """Every text of a Discord body that a reader sees."""
    out = [str(body.get("content", ""))]
    for embed in body.get("embeds", []):
        out += [str(embed.get(k, "")) for k in ("title", "description")]
        for f in embed.get("fields", []):
            out += [str(f["name"]), str(f["value"])]
        out.append(str(embed.get("footer", {}).get("text", "")))
    return [text for text in out if text]


def _as_markdown(sample: Sample) -> str:
    body = sample.body()
    lines = [f"#### {sample.title}", "", "```text"]
    lines += [text.replace("```", "'''") for text in visible_text(body)]
    mentions = json.dumps(body["allowed_mentions"], ensure_ascii=False)
    lines += ["```", "", f"`allowed_mentions`: `{mentions}`", ""]
    return "\n".join(lines)


def section() -> str:
    """The generated part of docs/notifications.md."""
    out = [
        BEGIN,
        "<!-- generated by `python -m vigie.notify.samples --write docs/notifications.md`;"
        " do not edit by hand -->",
        "",
    ]
    for locale in LOCALES:
        out += [f"### {'Français' if locale == 'fr' else 'English'}", ""]
        out += [_as_markdown(sample) for sample in samples(locale)]
    out.append(END)
    return "\n".join(out)


def updated(doc: str) -> str:
    """``doc`` with its samples section regenerated (appended when it has none)."""
    if BEGIN in doc and END in doc:
        head, rest = doc.split(BEGIN, 1)
        tail = rest.split(END, 1)[1]
        return head + section() + tail
    return doc.rstrip("\n") + "\n\n## Samples of every notice\n\n" + section() + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m vigie.notify.samples", description=__doc__)
    parser.add_argument("doc", type=Path, nargs="?", default=Path("docs/notifications.md"))
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--write", action="store_true", help="rewrite the samples section")
    mode.add_argument("--check", action="store_true", help="exit 1 if the section is stale")
    args = parser.parse_args(argv)
    current = args.doc.read_text("utf-8")
    fresh = updated(current)
    if args.write:
        args.doc.write_text(fresh, "utf-8")
        return 0
    if args.check:
        if fresh != current:
            print(f"{args.doc}: samples are stale; run python -m vigie.notify.samples --write")
            return 1
        return 0
    print(section())
    return 0


if __name__ == "__main__":
    sys.exit(main())
