"""Telling the admins that Vigie cannot evaluate, without the store.

The outbox lives in the store, so a store outage cannot be announced through it.
:class:`EvaluationWatch` is fed the outcome of every evaluation attempt (and of every attempt to
open the store at start); once attempts have failed for :attr:`alarm_after` it posts straight to
the admins' webhook, once, and once more when an evaluation succeeds again. A post that fails is
logged and retried at the next attempt; nothing here raises.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

from vigie.config import AlertsConfig
from vigie.errors import ConfigError
from vigie.notify.discord import DeliveryError, WebhookClient

log = logging.getLogger(__name__)

DEFAULT_ALARM_AFTER = timedelta(minutes=2)
Post = Callable[[str], None]

# The admins' channel is in French (as the dispatcher's own admin notices).
OUTAGE = (
    "⚠️ Vigie n'arrive plus à évaluer les SLO depuis {minutes} min : la base de données ne "
    "répond pas. Aucune alerte ne part tant que cela dure."
)
RECOVERED = "✅ Vigie évalue de nouveau les SLO, après {minutes} min d'interruption."


def _minutes(delta: timedelta) -> int:
    return max(1, round(delta.total_seconds() / 60))


class EvaluationWatch:
    def __init__(self, post: Post, clock: Callable[[], datetime], alarm_after: timedelta):
        self._post = post
        self._clock = clock
        self.alarm_after = alarm_after
        self._lock = threading.Lock()
        self._failing_since: datetime | None = None
        self.told = False

    def failed(self) -> None:
        with self._lock:
            now = self._clock()
            if self._failing_since is None:
                self._failing_since = now
            down = now - self._failing_since
            if not self.told and down >= self.alarm_after:
                self.told = self._send(OUTAGE.format(minutes=_minutes(down)))

    def succeeded(self) -> None:
        with self._lock:
            if self._failing_since is None:
                return
            down = self._clock() - self._failing_since
            if self.told and not self._send(RECOVERED.format(minutes=_minutes(down))):
                return  # retried at the next success
            self._failing_since = None
            self.told = False

    def _send(self, text: str) -> bool:
        try:
            self._post(text)
        except (DeliveryError, ConfigError) as exc:
            log.error("cannot tell the admins directly", extra={"error": str(exc)})
            return False
        return True


def admin_post(alerts: AlertsConfig, environ: Mapping[str, str], client: WebhookClient) -> Post:
    """Post a plain message to the admins' webhook (mentioning the admins), outside the outbox."""

    def post(text: str) -> None:
        users = list(alerts.admins.users)
        mentions = " ".join(f"<@{u}>" for u in users)
        payload: dict[str, Any] = {
            "content": f"{mentions} {text}".strip(),
            "allowed_mentions": {"parse": [], "users": users},
        }
        client.execute(alerts.admins.webhook.resolve(environ), payload)

    return post
