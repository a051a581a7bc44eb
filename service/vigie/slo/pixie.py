"""Pixie's spans as an app's server spans, for apps without an OpenTelemetry SDK.

Pixie observes HTTP traffic with eBPF and exports it as OTLP spans (its "HTTP Spans" export
script: kind SERVER, name = the request path, ``http.status_code`` = the answer, start and end
= the request's). The collectors' ``transform/pixie`` processor renames their service
``<namespace>/<service>`` to ``pixie:<service>`` and sets ``deployment.environment.name`` from
the namespace's ``-prod`` / ``-staging`` suffix, so they feed the same rollups as SDK spans
under their own service name. The SLO engine counts them for app ``<service>`` only when the
app has no SDK span in the evaluation's windows: an app instrumented with an SDK is never
counted twice.
"""

from __future__ import annotations

PREFIX = "pixie:"


def pixie_service(app: str) -> str:
    """The service name Pixie's spans of ``app`` carry once mapped."""
    return PREFIX + app


def with_pixie(apps: set[str]) -> list[str]:
    """The services to read for ``apps``: their own and their Pixie spans'."""
    return sorted(apps | {pixie_service(a) for a in apps})
