"""The words of a report, in French and English (the club's locale), and the formats of numbers,
durations and times (the club's zone). Engine values said in words: :mod:`vigie.reports.wording`."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from vigie.reports.model import DEFAULT_TIMEZONE, Locale

TEXTS: dict[str, dict[str, str]] = {
    "fr": {
        "title": "Post-mortem : {app} — {slo} ({id})",
        "title_security": "Rapport d'incident de sécurité : {app} ({id})",
        "draft_note": (
            "Brouillon généré par Vigie ; les chiffres viennent de ClickHouse. "
            "Complétez les sections marquées ✍."
        ),
        "facts": "Faits",
        "incident_id": "Incident",
        "club": "Club",
        "app": "Application",
        "slo": "SLO",
        "severity": "Sévérité atteinte",
        "state": "État",
        "times": "Chronologie clé",
        "impact_start": "Début de l'impact (1re minute hors objectif)",
        "impact_end": "Fin de l'impact (dernière minute hors objectif)",
        "alert_lifetime": "Durée de l'alerte (déclenchement → résolution)",
        "covered_apps": "Applications touchées ({count}), requêtes en échec / total",
        "detected": "Détection (alerte)",
        "acknowledged": "Prise en charge",
        "resolved": "Résolution",
        "ttd": "Délai de détection",
        "tta": "Délai de prise en charge",
        "ttr": "Délai de résolution (depuis le début de l'impact)",
        "impact": "Impact",
        "failed_total": "Requêtes en échec / total",
        "peak_ratio": "Taux d'erreur maximal (sur une minute)",
        "mean_ratio": "Taux d'erreur moyen",
        "latency": "Latence p50 / p95 / p99",
        "during": "pendant",
        "before": "24 h avant",
        "budget_consumed": "Budget d'erreur consommé (fenêtre de {window} j)",
        "budget_remaining": "Budget d'erreur restant",
        "routes": "Routes touchées",
        "route": "Route",
        "failed": "Échecs",
        "total": "Total",
        "errors": "Messages d'erreur les plus fréquents",
        "exceptions": "Types d'exception",
        "message": "Message",
        "type": "Type",
        "count": "Nombre",
        "traces": "Exemples de traces",
        "timeline": "Déroulement",
        "at": "Heure ({zone})",
        "event": "Événement",
        "related": "Incidents liés (même application, 30 derniers jours)",
        "none": "aucun",
        "na": "n/d",
        "human": "À compléter",
        "summary": "Résumé",
        "summary_prompt": "En deux ou trois phrases : que s'est-il passé, combien de temps, qui a été touché ?",  # noqa: E501
        "user_impact": "Impact pour les utilisateurs",
        "user_impact_prompt": "Qu'ont vu les utilisateurs ? Quelles fonctions étaient indisponibles ?",  # noqa: E501
        "root_cause": "Cause racine",
        "root_cause_prompt": "Pourquoi est-ce arrivé ? Remontez les « pourquoi » jusqu'à la cause.",
        "trigger": "Déclencheur",
        "trigger_prompt": "Quel changement ou événement a déclenché l'incident (déploiement, trafic, dépendance) ?",  # noqa: E501
        "resolution": "Résolution",
        "resolution_prompt": "Qu'est-ce qui a rétabli le service ?",
        "went_well": "Ce qui a bien fonctionné",
        "went_well_prompt": "Alertes utiles, outils, réflexes à garder.",
        "went_badly": "Ce qui a mal fonctionné",
        "went_badly_prompt": "Ce qui a ralenti la détection ou la résolution.",
        "lucky": "Là où nous avons eu de la chance",
        "lucky_prompt": "Ce qui aurait pu être pire.",
        "scope": "Portée",
        "scope_prompt": "Systèmes, comptes et périodes concernés.",
        "data_involved": "Données concernées",
        "data_involved_prompt": "Quelles données ont pu être exposées ?",
        "containment": "Confinement",
        "containment_prompt": "Mesures prises pour arrêter l'incident (jetons révoqués, accès coupés…).",  # noqa: E501
        "notification": "Communication",
        "notification_prompt": "Qui a été prévenu (service informatique de l'ÉTS, clubs), quand et comment ?",  # noqa: E501
        "follow_up": "Suivi",
        "follow_up_prompt": "Vérifications et actions restantes.",
        "no_pii": (
            "La plateforme ne conserve aucune donnée personnelle (nettoyage avant stockage). "
            "Vérification : les motifs de données personnelles appliqués aux corps de journaux "
            "et aux attributs stockés de {app} pendant la fenêtre de l'incident donnent "
            "{matches} correspondance(s)."
        ),
        "pii_found": (
            "ATTENTION : des données personnelles ont pu être stockées malgré le nettoyage. "
            "À examiner, purger et signaler au service informatique de l'ÉTS."
        ),
        "days": "j",
        "pii_rule": "Motif",
        "actions": "Actions correctives",
        "action": "Action",
        "action_type": "Type",
        "owner": "Responsable",
        "due": "Échéance",
        "link": "Suivi (lien)",
        "actions_prompt": "Une ligne par action : atténuer, prévenir, processus.",
        "version": "Version {version}, par {author}, le {at}",
        "deploy": "déploiement",
        "opened": "alerte déclenchée",
        "escalated": "alerte aggravée",
        "deescalated": "plus urgente, erreurs encore présentes",
        "widened": "nouvelles applications touchées",
        "acknowledged_ev": "prise en charge",
        "silenced": "mise en sourdine",
        "unsilenced": "fin de sourdine",
        "gate_override": "déploiement autorisé malgré le contrôle",
        "reopened": "réouverture",
        "resolved_ev": "résolu",
        "notified": "notification",
        "page": "urgente",
        "ticket": "non urgente",
        "no_data": "aucune donnée reçue",
        "open": "ouvert",
        "acknowledged_st": "pris en charge",
        "resolved_st": "résolu",
        "detection": "Détection",
        "detection_prompt": (
            "Comment l'a-t-on su : l'alerte de Vigie, un utilisateur, un membre du club ? "
            "Aurait-on pu le savoir plus tôt ?"
        ),
        "communication": "Communication",
        "communication_prompt": (
            "Qui a été prévenu (le club, les utilisateurs, le service informatique de l'ÉTS), "
            "quand et comment (Discord, courriel, page d'état) ?"
        ),
        "it_contact": "Contact informatique de l'ÉTS : {contact}.",
        "none_f": "aucune",
        "sep": "\u202f; ",
        "availability": "disponibilité",
        "latency_slo": "latence",
        "(telemetry)": "réception des données",
        "(silent)": "application muette",
        "(platform)": "plateforme entière",
        "severity_page": "urgente",
        "severity_ticket": "non urgente",
        "severity_no_data": "aucune donnée reçue",
        "ev_fired": (
            "{severity} — le budget d'erreur s'épuisait {burn} fois plus vite que permis "
            "(sur {window})"
        ),
        "ev_budget": "il restait {budget} du budget d'erreur",
        "ev_no_data": "{severity} — plus aucune donnée reçue de l'application",
        "ev_silent": "{severity} — l'application ne reçoit plus aucune requête depuis {since}",
        "ev_platform": "{severity} — {apps} application(s) touchée(s) en même temps",
        "ev_resolved": "retour à la normale confirmé par {calm} vérification(s) de suite",
        "ev_gone": "objectif retiré de la configuration",
        "ev_back": "retour à la normale",
        "ev_by": "par {author}",
        "ev_silenced": "par {author} jusqu'à {until} : « {comment} »",
        "ev_unsilenced": "la mise en sourdine ne s'applique plus",
        "ev_deploy": "version {version} déployée",
        "ev_replaces": " (remplace {previous})",
        "ev_notified": "{channel} : {what}",
        "ev_failed": "ÉCHEC de l'envoi",
        "ev_pending": "envoi en attente",
        "admins_channel": "administrateurs",
        "kind_open": "alerte envoyée",
        "kind_update": "mise à jour envoyée",
        "kind_resolve": "résolution annoncée",
        "kind_ack": "prise en charge annoncée",
        "kind_platform": "alerte de plateforme envoyée",
        "kind_platform_captain": "alerte de plateforme envoyée",
        "kind_webhook_dead": "webhook supprimé signalé",
        "kind_report_ready": "brouillon annoncé",
        "kind_edit": "message modifié",
        "kind_other": "message envoyé",
        "event_other": "événement",
        "note": "note",
        "status": "Statut",
        "status_draft": "brouillon",
        "status_in_review": "en relecture",
        "status_published": "publié",
        "status_line": "{status}, par {actor}, le {at}",
        "authors": "Auteurs",
        "owner_report": "Responsable de la rédaction",
        "reviewer": "Relecteur",
        "captains_of": "capitaines {of_club}",
        "admins": "administrateurs de la plateforme",
        "reminder": "Rappel : rien n'a encore été écrit dans ce rapport depuis {days} jour(s).",
    },
    "en": {
        "title": "Postmortem: {app} — {slo} ({id})",
        "title_security": "Security incident report: {app} ({id})",
        "draft_note": (
            "Draft generated by Vigie; the numbers come from ClickHouse. "
            "Fill in the sections marked ✍."
        ),
        "facts": "Facts",
        "incident_id": "Incident",
        "club": "Club",
        "app": "Application",
        "slo": "SLO",
        "severity": "Severity reached",
        "state": "State",
        "times": "Key times",
        "impact_start": "Start of impact (first minute out of objective)",
        "impact_end": "End of impact (last minute out of objective)",
        "alert_lifetime": "Alert lifetime (fired → resolved)",
        "covered_apps": "Apps affected ({count}), failed / total requests",
        "detected": "Detection (alert)",
        "acknowledged": "Acknowledged",
        "resolved": "Resolved",
        "ttd": "Time to detect",
        "tta": "Time to acknowledge",
        "ttr": "Time to resolve (from start of impact)",
        "impact": "Impact",
        "failed_total": "Failed / total requests",
        "peak_ratio": "Peak error ratio (one minute)",
        "mean_ratio": "Mean error ratio",
        "latency": "Latency p50 / p95 / p99",
        "during": "during",
        "before": "24 h before",
        "budget_consumed": "Error budget consumed ({window}-day window)",
        "budget_remaining": "Error budget remaining",
        "routes": "Affected routes",
        "route": "Route",
        "failed": "Failed",
        "total": "Total",
        "errors": "Top error messages",
        "exceptions": "Exception types",
        "message": "Message",
        "type": "Type",
        "count": "Count",
        "traces": "Example traces",
        "timeline": "Timeline",
        "at": "Time ({zone})",
        "event": "Event",
        "related": "Related incidents (same app, last 30 days)",
        "none": "none",
        "na": "n/a",
        "human": "To fill in",
        "summary": "Summary",
        "summary_prompt": "In two or three sentences: what happened, for how long, who was affected?",  # noqa: E501
        "user_impact": "User impact",
        "user_impact_prompt": "What did users see? Which features were unavailable?",
        "root_cause": "Root cause",
        "root_cause_prompt": "Why did it happen? Keep asking why until you reach the cause.",
        "trigger": "Trigger",
        "trigger_prompt": "Which change or event set it off (deployment, traffic, dependency)?",
        "resolution": "Resolution",
        "resolution_prompt": "What restored the service?",
        "went_well": "What went well",
        "went_well_prompt": "Useful alerts, tools, habits to keep.",
        "went_badly": "What went badly",
        "went_badly_prompt": "What slowed detection or resolution.",
        "lucky": "Where we got lucky",
        "lucky_prompt": "What could have been worse.",
        "scope": "Scope",
        "scope_prompt": "Systems, accounts and periods concerned.",
        "data_involved": "Data involved",
        "data_involved_prompt": "Which data may have been exposed?",
        "containment": "Containment",
        "containment_prompt": "What stopped the incident (tokens revoked, access cut…).",
        "notification": "Communication",
        "notification_prompt": "Who was told (ÉTS IT services, clubs), when and how?",
        "follow_up": "Follow-up",
        "follow_up_prompt": "Remaining checks and actions.",
        "no_pii": (
            "The platform holds no personal data (scrubbed before storage). Check: the personal "
            "data patterns run over the log bodies and stored attributes of {app} during the "
            "incident window give {matches} match(es)."
        ),
        "pii_found": (
            "WARNING: personal data may have been stored despite scrubbing. Investigate, purge "
            "and report it to the ÉTS IT services."
        ),
        "days": "d",
        "pii_rule": "Pattern",
        "actions": "Action items",
        "action": "Action",
        "action_type": "Type",
        "owner": "Owner",
        "due": "Due",
        "link": "Tracking link",
        "actions_prompt": "One row per action: mitigate, prevent, process.",
        "version": "Version {version}, by {author}, {at}",
        "deploy": "deployment",
        "opened": "alert fired",
        "escalated": "alert escalated",
        "deescalated": "no longer urgent, errors go on",
        "widened": "more apps affected",
        "acknowledged_ev": "acknowledged",
        "silenced": "silenced",
        "unsilenced": "silence ended",
        "gate_override": "rollout allowed past the gate",
        "reopened": "reopened",
        "resolved_ev": "resolved",
        "notified": "notification",
        "page": "urgent",
        "ticket": "not urgent",
        "no_data": "no data received",
        "open": "open",
        "acknowledged_st": "acknowledged",
        "resolved_st": "resolved",
        "detection": "Detection",
        "detection_prompt": (
            "How did we find out: Vigie's alert, a user, a club member? Could we have known sooner?"
        ),
        "communication": "Communication",
        "communication_prompt": (
            "Who was told (the club, users, the ÉTS IT services), when and how (Discord, email, "
            "status page)?"
        ),
        "it_contact": "ÉTS IT contact: {contact}.",
        "none_f": "none",
        "sep": "; ",
        "availability": "availability",
        "latency_slo": "latency",
        "(telemetry)": "data reception",
        "(silent)": "silent application",
        "(platform)": "whole platform",
        "severity_page": "urgent",
        "severity_ticket": "not urgent",
        "severity_no_data": "no data received",
        "ev_fired": (
            "{severity} — the error budget was being used {burn} times faster than allowed "
            "(over {window})"
        ),
        "ev_budget": "{budget} of the error budget was left",
        "ev_no_data": "{severity} — the app stopped sending data",
        "ev_silent": "{severity} — the app has received no request since {since}",
        "ev_platform": "{severity} — {apps} app(s) affected at once",
        "ev_resolved": "back to normal, confirmed by {calm} check(s) in a row",
        "ev_gone": "objective removed from the configuration",
        "ev_back": "back to normal",
        "ev_by": "by {author}",
        "ev_silenced": "by {author} until {until}: “{comment}”",
        "ev_unsilenced": "the silence no longer applies",
        "ev_deploy": "version {version} deployed",
        "ev_replaces": " (replaces {previous})",
        "ev_notified": "{channel}: {what}",
        "ev_failed": "sending FAILED",
        "ev_pending": "sending pending",
        "admins_channel": "admins",
        "kind_open": "alert sent",
        "kind_update": "update sent",
        "kind_resolve": "resolution announced",
        "kind_ack": "acknowledgement announced",
        "kind_platform": "platform alert sent",
        "kind_platform_captain": "platform alert sent",
        "kind_webhook_dead": "deleted webhook reported",
        "kind_report_ready": "draft announced",
        "kind_edit": "message edited",
        "kind_other": "message sent",
        "event_other": "event",
        "note": "note",
        "status": "Status",
        "status_draft": "draft",
        "status_in_review": "in review",
        "status_published": "published",
        "status_line": "{status}, by {actor}, {at}",
        "authors": "Authors",
        "owner_report": "Owner",
        "reviewer": "Reviewer",
        "captains_of": "captains {of_club}",
        "admins": "platform admins",
        "reminder": "Reminder: nothing has been written in this report for {days} day(s).",
    },
}

# Timeline kinds whose label key differs from the kind.
_EVENT_KEYS = {"acknowledged": "acknowledged_ev", "resolved": "resolved_ev"}
_STATE_KEYS = {"acknowledged": "acknowledged_st", "resolved": "resolved_st"}


def t(locale: Locale, key: str, **values: object) -> str:
    text = TEXTS[locale][key]
    return text.format(**values) if values else text


def event_label(locale: Locale, kind: str) -> str:
    """A timeline kind in words (a kind added later: "event", never the engine's word)."""
    return TEXTS[locale].get(_EVENT_KEYS.get(kind, kind), TEXTS[locale]["event_other"])


def state_label(locale: Locale, state: str) -> str:
    return TEXTS[locale].get(_STATE_KEYS.get(state, state), state)


def number(locale: Locale, value: float, digits: int = 2) -> str:
    text = f"{value:,.{digits}f}"
    if locale == "fr":
        return text.replace(",", "\u202f").replace(".", ",")
    return text


def integer(locale: Locale, value: int) -> str:
    return number(locale, value, 0)


def percent(locale: Locale, ratio_pct: float | None, digits: int = 2) -> str:
    if ratio_pct is None:
        return t(locale, "na")
    return (
        f"{number(locale, ratio_pct, digits)}\u00a0%"
        if locale == "fr"
        else (f"{number(locale, ratio_pct, digits)}%")
    )


def duration(locale: Locale, seconds: float | None) -> str:
    if seconds is None:
        return TEXTS[locale]["na"]
    sign = "-" if seconds < 0 else ""
    total = round(abs(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{sign}{hours} h {minutes:02d} min"
    if minutes:
        return f"{sign}{minutes} min {secs:02d} s"
    return f"{sign}{secs} s"


@cache
def zone(name: str) -> ZoneInfo:
    """The IANA zone (the default zone for a name the system does not know)."""
    try:
        return ZoneInfo(name or DEFAULT_TIMEZONE)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(DEFAULT_TIMEZONE)


def moment(value: datetime | None, locale: Locale, tz: str = DEFAULT_TIMEZONE) -> str:
    """Local time in ``tz``, UTC in parentheses: ``2026-11-20 10:00:00 (15:00 UTC)``."""
    if value is None:
        return TEXTS[locale]["na"]
    utc = value.astimezone(UTC)
    return f"{utc.astimezone(zone(tz)):%Y-%m-%d %H:%M:%S} ({utc:%H:%M} UTC)"


def local_moment(value: datetime, tz: str = DEFAULT_TIMEZONE) -> tuple[str, str]:
    """(local time, UTC time) for a page: the first shown, the second on hover."""
    utc = value.astimezone(UTC)
    return f"{utc.astimezone(zone(tz)):%Y-%m-%d %H:%M:%S}", f"{utc:%Y-%m-%d %H:%M:%S} UTC"


def at_header(locale: Locale, tz: str = DEFAULT_TIMEZONE) -> str:
    return t(locale, "at", zone=tz or DEFAULT_TIMEZONE)
