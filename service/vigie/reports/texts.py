"""The words of a report, in French and English (the club's locale), and number formatting."""

from __future__ import annotations

from datetime import UTC, datetime

from vigie.reports.model import Locale

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
        "at": "Heure (UTC)",
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
        "notification": "Notification",
        "notification_prompt": "Qui a été prévenu (service informatique de l'ÉTS, clubs) et quand ?",  # noqa: E501
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
        "page": "page (urgente)",
        "ticket": "ticket",
        "no_data": "aucune donnée",
        "open": "ouvert",
        "acknowledged_st": "pris en charge",
        "resolved_st": "résolu",
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
        "at": "Time (UTC)",
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
        "notification": "Notification",
        "notification_prompt": "Who was told (ÉTS IT services, clubs) and when?",
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
        "page": "page (urgent)",
        "ticket": "ticket",
        "no_data": "no data",
        "open": "open",
        "acknowledged_st": "acknowledged",
        "resolved_st": "resolved",
    },
}

# Timeline kinds whose label key differs from the kind.
_EVENT_KEYS = {"acknowledged": "acknowledged_ev", "resolved": "resolved_ev"}
_STATE_KEYS = {"acknowledged": "acknowledged_st", "resolved": "resolved_st"}


def t(locale: Locale, key: str, **values: object) -> str:
    text = TEXTS[locale][key]
    return text.format(**values) if values else text


def event_label(locale: Locale, kind: str) -> str:
    return TEXTS[locale].get(_EVENT_KEYS.get(kind, kind), kind)


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


def moment(value: datetime | None, locale: Locale) -> str:
    if value is None:
        return TEXTS[locale]["na"]
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
