"""Words of the pages, in French and English."""

from __future__ import annotations

UI: dict[str, dict[str, str]] = {
    "fr": {
        "skip": "Aller au contenu",
        "site": "Vigie",
        "nav": "Navigation principale",
        "incidents": "Incidents",
        "logout": "Se déconnecter",
        "login": "Connexion",
        "login_intro": "Collez le jeton que vous a remis un administrateur de la plateforme.",
        "token": "Jeton",
        "sign_in": "Se connecter",
        "bad_token": "Jeton invalide.",
        "filters": "Filtres",
        "club": "Club",
        "app": "Application",
        "state": "État",
        "any": "Tous",
        "apply": "Filtrer",
        "slo": "SLO",
        "severity": "Sévérité",
        "opened": "Ouvert",
        "resolved": "Résolu",
        "no_incidents": "Aucun incident.",
        "incident": "Incident",
        "facts": "Faits",
        "timeline": "Déroulement",
        "chart": "Indicateur (SLI) autour de l'incident",
        "chart_desc": (
            "Taux d'événements en échec par minute ; bande colorée : impact ; ligne verticale : "
            "alerte ; pointillés : budget d'erreur."
        ),
        "report": "Rapport post-incident",
        "open_report": "Ouvrir le rapport",
        "markdown": "Exporter en Markdown",
        "editor": "Éditeur du rapport",
        "version": "Version",
        "save": "Enregistrer",
        "preview": "Aperçu",
        "saved": "Version {version} enregistrée.",
        "conflict": (
            "Quelqu'un a enregistré la version {latest} pendant que vous modifiiez la version "
            "{based_on}. Rien n'a été écrasé : rechargez le rapport, puis reportez vos changements "
            "(votre texte est conservé ci-dessous)."
        ),
        "reload": "Recharger la dernière version",
        "actions": "Actions correctives",
        "history": "Historique",
        "forbidden": "Accès refusé : ce jeton ne donne pas accès à ce club.",
        "not_found": "Introuvable.",
        "error": "Erreur",
        "at": "Heure (UTC)",
        "event": "Événement",
        "row": "Action {n}",
    },
    "en": {
        "skip": "Skip to content",
        "site": "Vigie",
        "nav": "Main navigation",
        "incidents": "Incidents",
        "logout": "Sign out",
        "login": "Sign in",
        "login_intro": "Paste the token a platform admin gave you.",
        "token": "Token",
        "sign_in": "Sign in",
        "bad_token": "Invalid token.",
        "filters": "Filters",
        "club": "Club",
        "app": "Application",
        "state": "State",
        "any": "Any",
        "apply": "Filter",
        "slo": "SLO",
        "severity": "Severity",
        "opened": "Opened",
        "resolved": "Resolved",
        "no_incidents": "No incidents.",
        "incident": "Incident",
        "facts": "Facts",
        "timeline": "Timeline",
        "chart": "SLI around the incident",
        "chart_desc": (
            "Share of bad events per minute; shaded band: impact; vertical line: alert; "
            "dashed line: error budget."
        ),
        "report": "Post-incident report",
        "open_report": "Open the report",
        "markdown": "Export as Markdown",
        "editor": "Report editor",
        "version": "Version",
        "save": "Save",
        "preview": "Preview",
        "saved": "Version {version} saved.",
        "conflict": (
            "Someone saved version {latest} while you were editing version {based_on}. Nothing "
            "was overwritten: reload the report, then reapply your changes (your text is kept "
            "below)."
        ),
        "reload": "Reload the latest version",
        "actions": "Action items",
        "history": "History",
        "forbidden": "Forbidden: this token gives no access to this club.",
        "not_found": "Not found.",
        "error": "Error",
        "at": "Time (UTC)",
        "event": "Event",
        "row": "Action {n}",
    },
}
