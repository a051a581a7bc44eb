"""Weekly digests on the embedded engine: measured from seeded telemetry and incidents (around
the engine's clock), sent once on Monday morning in the club's time zone, replayed by the CLI."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import typer
from tests.reports.report_seed import OPENED, RESOLVED, config, seed
from typer.testing import CliRunner

from vigie.cli import digest as digest_cli
from vigie.i18n import Formatter
from vigie.incidents.lines import Links
from vigie.notify.digest import from_json
from vigie.notify.notice import ADMINS, Notice
from vigie.notify.render import render_message
from vigie.notify.weekly import WeeklyDigests, week_of
from vigie.settings import Settings, load_settings
from vigie.store import Store
from vigie.store.migrations import migrate

LINKS = Links("https://vigie.test", "https://grafana.test")
ZONE = "America/Montreal"
NAMES = {"alpha": "Alpha", "gamma": "Gamma"}


class Sink:
    def __init__(self) -> None:
        self.notices: list[Notice] = []

    def submit(self, notices: Sequence[Notice]) -> None:
        self.notices += notices


@pytest.fixture()
def db(store: Store, settings: Settings) -> Iterator[Store]:
    migrate(store, settings)
    yield store


def test_a_clubs_digest_lists_its_apps_incidents_errors_and_links(db: Store) -> None:
    seed(db)
    start, end = week_of(OPENED, ZONE)
    digests = WeeklyDigests(db, config(), LINKS, lambda: end + timedelta(hours=8))
    notices = digests.build(start.date())
    # gamma has no app: no message; the admins get the platform summary.
    assert [(n.channel, n.kind, n.locale) for n in notices] == [
        ("alpha", "digest", "fr"),
        (ADMINS, "digest", "fr"),
    ]
    alpha = from_json(notices[0].extra["digest"])
    (shop,) = alpha.apps
    assert shop.app == "shop" and [s.name for s in shop.slos] == ["availability"]
    assert "INC-SEEDED0001" in [i.id for i in shop.incidents]
    body = render_message(notices[0], club_names=NAMES)
    assert body["content"].startswith("📅 Bilan de la semaine d'Alpha, du lundi ")
    assert body["allowed_mentions"] == {"parse": [], "users": [], "roles": []}
    (embed,) = body["embeds"]
    text = embed["description"]
    assert embed["url"].startswith("https://grafana.test/d/") and "from=" in embed["url"]
    assert "[INC-SEEDED0001](https://vigie.test/incidents/INC-SEEDED0001)" in text
    assert f"a duré {Formatter('fr').duration(RESOLVED - OPENED)}" in text
    assert "Erreurs les plus fréquentes :" in text
    assert "database is locked" in text or "pool exhausted" in text
    summary = render_message(notices[1], club_names=NAMES)
    assert summary["content"].startswith("📅 Bilan de la semaine de la plateforme")
    assert summary["embeds"][0]["title"] == "Alpha"


def test_digests_go_out_once_on_monday_morning_club_time(db: Store) -> None:
    seed(db)
    _, next_monday = week_of(OPENED, ZONE)  # the Monday after the seeded week, 00:00 in Montréal
    now = [next_monday + timedelta(hours=7, minutes=59)]
    sink = Sink()
    digests = WeeklyDigests(db, config(), LINKS, lambda: now[0], sink)
    assert digests.after_evaluation() == []  # 07:59: not yet
    now[0] = next_monday + timedelta(hours=8, minutes=1)
    sent = digests.after_evaluation()
    assert sorted(n.channel for n in sent) == [ADMINS, "alpha"]
    now[0] += timedelta(hours=3)
    assert digests.after_evaluation() == []  # once a week
    restarted = WeeklyDigests(db, config(), LINKS, lambda: now[0], sink)
    again = restarted.after_evaluation()
    assert {n.key for n in again} == {n.key for n in sent}  # same keys: the outbox drops them
    now[0] = next_monday + timedelta(days=1, hours=9)  # Tuesday: too late for last week
    assert WeeklyDigests(db, config(), LINKS, lambda: now[0], sink).after_evaluation() == []


# The same configuration as the report CLI test (tests/reports/test_report_cli.py).
CLUBS = """\
admins:
  webhook: {env: VIGIE_TEST_ADMIN}
clubs:
  - {id: alpha, name: Alpha, locale: fr, webhook: {env: VIGIE_TEST_ALPHA}}
  - {id: gamma, name: Gamma, locale: en, webhook: {env: VIGIE_TEST_GAMMA}}
"""
SLO = """\
app: shop
club: alpha
slos:
  - {name: availability, objective: 99.9, sli: {kind: availability}}
"""

cli = typer.Typer()


@cli.callback()
def _root(ctx: typer.Context) -> None:
    ctx.obj = load_settings()


cli.command("digest")(digest_cli.digest)


def test_the_cli_replays_any_past_week(db: Store, settings: Settings) -> None:
    root: Path = settings.config_dir
    (root / "alerts").mkdir(parents=True, exist_ok=True)
    (root / "alerts" / "clubs.yaml").write_text(CLUBS)
    (root / "slo" / "alpha").mkdir(parents=True, exist_ok=True)
    (root / "slo" / "alpha" / "shop.yaml").write_text(SLO)
    seed(db)
    runner = CliRunner()
    week = OPENED.astimezone(ZoneInfo(ZONE)).date().isoformat()
    printed = runner.invoke(cli, ["digest", "--week", week, "--club", "alpha"])
    assert printed.exit_code == 0, printed.output
    assert printed.output.startswith("# alpha\n📅 Bilan de la semaine d'Alpha")
    assert re.search(r"^## \S+ shop$", printed.output, re.MULTILINE)
    assert "INC-SEEDED0001" in printed.output
    assert runner.invoke(cli, ["digest", "--week", "nope"]).exit_code == 2
    assert runner.invoke(cli, ["digest", "--club", "nobody"]).exit_code == 2
    empty = runner.invoke(cli, ["digest", "--week", week, "--club", "gamma"])
    assert empty.exit_code == 0 and "gamma" not in empty.stdout
