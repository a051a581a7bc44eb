"""Certificate expiry: a ticket within certificate_warning, a page within 2 days or expired,
one incident per certificate, resolved when the certificate is renewed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from tests.incidents.incident_builders import alerts
from tests.probes.httpcheck import Check, store_checks
from tests.probes.test_probe_sli import engine_now

from vigie.config.slo import SloFile
from vigie.incidents.inhibit import platform_condition
from vigie.incidents.lines import Links, incident_line
from vigie.incidents.model import Event
from vigie.incidents.state import fold, signals, transition
from vigie.notify.notice import Notice
from vigie.notify.render import render_message
from vigie.notify.texts import Texts
from vigie.slo.catalog import targets_from_files
from vigie.slo.evaluator import Evaluator, SloStatus
from vigie.store import Store

HOME = "https://club.example/"
API = "https://club.example/api"  # same host and port: the same certificate
OTHER = "https://autre.example:8443/"
DAY = 86400


def club_file(**probe: object) -> SloFile:
    return SloFile.model_validate({
        "app": "site", "club": "alpha",
        "slos": [{"name": "up", "objective": 99, "sli": {"kind": "probe"}}],
        "probes": [{"url": HOME, **probe}, {"url": API}, {"url": OTHER},
                   {"url": "http://club.example/plain"}],
    })


def certificates(db: Store, at: datetime, **probe: object) -> dict[str, SloStatus]:
    evaluator = Evaluator(db, targets_from_files([club_file(**probe)]), lambda: at)
    statuses = evaluator.evaluate(at).statuses
    return {s.target.name: s for s in statuses if s.target.name.startswith("certificat-")}


def report(db: Store, at: datetime, url: str, days_left: float) -> None:
    store_checks(db, [Check(url=url, at=at, status=200, cert_remaining_s=int(days_left * DAY))])


@pytest.mark.parametrize(
    ("days_left", "state"),
    [(20, "ok"), (10, "ticket"), (1.5, "page"), (-0.1, "page")],
)
def test_state_by_time_left(db: Store, days_left: float, state: str) -> None:
    now = engine_now(db)
    report(db, now - timedelta(minutes=1), HOME, days_left)
    report(db, now - timedelta(minutes=1), OTHER, 90)
    got = certificates(db, now)
    assert set(got) == {"certificat-club-example", "certificat-autre-example-8443"}
    assert got["certificat-club-example"].decision.state == state
    assert got["certificat-autre-example-8443"].decision.state == "ok"


def test_warning_is_configurable_and_silence_freezes(db: Store) -> None:
    now = engine_now(db)
    report(db, now - timedelta(minutes=1), HOME, 20)
    got = certificates(db, now, certificate_warning="30d")
    assert got["certificat-club-example"].decision.state == "ticket"
    assert got["certificat-autre-example-8443"].decision.state == "low_traffic"


def test_one_incident_per_certificate_reminded_then_resolved_when_renewed(db: Store) -> None:
    now = engine_now(db)
    config = alerts()
    events: list[Event] = []

    def cycle(at: datetime) -> None:
        statuses = [s for s in certificates(db, at).values()]
        platform = platform_condition(statuses, config.policy.platform_incident_share)
        events.extend(transition(fold(events).values(), signals(statuses, platform, {}),
                                 lambda c: config.policy, at, at))

    report(db, now - timedelta(minutes=3), HOME, 10)
    report(db, now - timedelta(minutes=3), API, 10)
    report(db, now - timedelta(minutes=3), OTHER, 90)
    cycle(now - timedelta(minutes=2))
    cycle(now - timedelta(minutes=1))
    opened = [i for i in fold(events).values() if i.slo.startswith("certificat-")]
    assert [(i.slo, i.severity, i.status) for i in opened] == [
        ("certificat-club-example", "ticket", "open")]
    line = incident_line(opened[0], Links("https://vigie.example", "https://grafana.example"))
    notice = Notice(key="k", channel="alpha", locale="fr", kind="open", lines=(line,),
                    created_at=now, mention_user_ids=())
    [embed] = render_message(notice, club_names={"alpha": "Alpha"})["embeds"]
    expires = int((now - timedelta(minutes=3)).timestamp()) + 10 * DAY
    assert embed["description"].startswith("Le certificat HTTPS de [https:")
    ends = Texts("fr", notice.timezone).fmt.datetime(datetime.fromtimestamp(expires, UTC))
    assert f"n'est valide que jusqu'au {ends} : il faut le renouveler." in embed["description"]
    assert ends.endswith(("à 00:00", "à 23:59")) is False and " à " in ends  # club's clock
    # renewed: 90 days left; it resolves after the policy's calm evaluations
    report(db, now, HOME, 90)
    at = now + timedelta(minutes=1)
    for _ in range(config.policy.resolve_after_evaluations):
        cycle(at)
        at += timedelta(seconds=30)
    [incident] = [i for i in fold(events).values() if i.slo.startswith("certificat-")]
    assert incident.status == "resolved"
