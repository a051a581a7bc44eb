"""The review process: owner at creation, draft → in review → published with who and when,
authors, the published version exported, published reports per club, reminders."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from report_seed import RESOLVED, Recording, Seeded, seed

from vigie.reports.render import render_markdown
from vigie.reports.review import CAPTAINS, ReviewError, first_state, next_state
from vigie.reports.service import ReportService
from vigie.store import Store

# fixed date: only the pure rules (first_state, next_state) use it; nothing is stored at it
T = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)


@pytest.fixture()
def seeded(db: Store) -> Seeded:
    return seed(db)


def test_the_rules_of_the_process() -> None:
    draft = first_state("INC-1", "alpha", T)
    assert (draft.status, draft.owner) == ("draft", CAPTAINS)
    assert first_state("INC-2", "", T).owner == "@admins"  # no club: the admins write it
    with pytest.raises(ReviewError, match="reviewer"):
        next_state(draft, "submit", actor="léa", is_admin=False, now=T)
    with pytest.raises(ReviewError, match="in review"):
        next_state(draft, "publish", actor="léa", is_admin=True, now=T)
    review = next_state(draft, "submit", actor="léa", is_admin=False, now=T, reviewer=" sam ")
    assert (review.status, review.reviewer, review.actor) == ("in_review", "sam", "léa")
    with pytest.raises(ReviewError, match="reviewer or an admin"):
        next_state(review, "publish", actor="léa", is_admin=False, now=T, version=3)
    done = next_state(review, "publish", actor="sam", is_admin=False, now=T, version=3)
    assert (done.status, done.version, done.actor) == ("published", 3, "sam")
    assert next_state(review, "publish", actor="ops", is_admin=True, now=T, version=3).version == 3
    with pytest.raises(ReviewError, match="already published"):
        next_state(done, "submit", actor="sam", is_admin=False, now=T, reviewer="x")


def test_from_draft_to_published_with_who_and_when(seeded: Seeded) -> None:
    reports = ReportService(seeded.service)
    inc = seeded.incident_id
    reports.get_or_create(inc)
    review = reports.review(inc, "fr")
    assert review is not None and review.owner == "capitaines d'Alpha" and review.authors == ()
    reports.act(inc, "claim", actor="léa", is_admin=False)
    reports.save(inc, 1, "léa", {"root_cause": "pool"}, [])
    reports.act(inc, "submit", actor="léa", is_admin=False, reviewer="sam")
    reports.act(inc, "publish", actor="sam", is_admin=False)
    reports.save(inc, 2, "léa", {"root_cause": "pool, and a retry storm"}, [])  # after publishing
    review = reports.review(inc, "fr")
    assert review is not None
    assert (review.status, review.owner, review.reviewer, review.actor) == (
        "published", "léa", "sam", "sam",
    )  # fmt: skip
    assert review.authors == ("léa",) and review.published_version == 2
    ((_, version),) = reports.published("alpha")
    assert version.version == 2 and version.sections["root_cause"] == "pool"
    assert reports.published("gamma") == []
    text = render_markdown(version, review)
    assert "- **Statut** : publié, par sam, le " in text
    assert "- **Relecteur** : sam" in text and "- **Auteurs** : léa" in text
    assert "Brouillon généré" not in text  # published: no longer a draft


def test_security_communication_prompt_names_the_schools_it(seeded: Seeded) -> None:
    alerts = seeded.service.config.alerts.model_copy(
        update={"school_it_contact": "securite@example.org, poste 7000"}
    )
    seeded.service.config = replace(seeded.service.config, alerts=alerts)
    draft = ReportService(seeded.service).draft(seeded.incident_id, kind="security")
    text = render_markdown(draft)
    assert "### ✍ Communication" in text and "### ✍ Détection" in text
    assert "Contact informatique de l'ÉTS : securite@example.org, poste 7000." in text


def test_people_add_timeline_entries_merged_with_the_generated_ones(seeded: Seeded) -> None:
    from vigie.reports.model import TimelineEntry

    reports = ReportService(seeded.service)
    inc = seeded.incident_id
    reports.get_or_create(inc)
    note = TimelineEntry(RESOLVED - timedelta(minutes=20), "note", "redémarré la base", {})
    reports.save(inc, 1, "léa", {}, [], notes=[note])
    reports.save(inc, 2, "léa", {"summary": "x"}, [])  # notes kept when not edited
    latest = reports.get(inc)
    assert latest is not None and [n.detail for n in latest.notes] == ["redémarré la base"]
    lines = render_markdown(latest).splitlines()
    rows = [line for line in lines if line.startswith("| 20")]
    assert any("note — `redémarré la base`" in r for r in rows)
    assert rows == sorted(rows)  # one timeline, by time


def test_a_draft_nobody_wrote_in_is_reminded_once_a_period(seeded: Seeded) -> None:
    delivery = Recording()
    seeded.service.delivery = delivery
    reports = ReportService(seeded.service)
    inc = seeded.incident_id
    reports.get_or_create(inc)
    created = reports.reviews.current(inc)
    assert created is not None
    after = seeded.service.config.alerts.report_reminder_after
    assert reports.reminders(created.at + after - timedelta(minutes=1)) == []
    due = reports.reminders(created.at + after)
    assert [(n.channel, n.kind) for n in due] == [("alpha", "report_ready"),
                                                  ("admins", "report_ready")]  # fmt: skip
    assert all(n.key.startswith(f"report_reminder:{inc}:") for n in due)
    assert delivery.notices == due
    assert reports.reminders(created.at + after + timedelta(hours=1)) == []  # not every cycle
    assert len(reports.reminders(created.at + 2 * after)) == 2  # still nothing: again
    reports.save(inc, 1, "léa", {"summary": "x"}, [])
    assert reports.reminders(created.at + 4 * after) == []  # written in: no more reminders
