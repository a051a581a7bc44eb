"""Incidents: SLO verdicts become incidents, incidents become notices (Alertmanager's model).

* :mod:`~vigie.incidents.model` — events and the incident state folded from them;
* :mod:`~vigie.incidents.state` — fold events; transition (incidents, statuses) → events;
* :mod:`~vigie.incidents.inhibit` — the platform-wide condition and which incidents it inhibits;
* :mod:`~vigie.incidents.silences` — silence matching (pure) and their storage;
* :mod:`~vigie.incidents.routing` — incident → channels, mentions, with the reason;
* :mod:`~vigie.incidents.grouping` — which notices to emit now, per channel;
* :mod:`~vigie.incidents.lines` — incident → :class:`~vigie.notify.notice.IncidentLine`;
* :mod:`~vigie.incidents.store` — the event log and notification log in ClickHouse;
* :mod:`~vigie.incidents.pipeline` — one cycle: evaluation in, events written, notices submitted;
* :mod:`~vigie.incidents.service` — what the API and the CLI call.
"""
