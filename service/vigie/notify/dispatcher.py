"""Delivery: notices in, Discord messages out, durably and per channel.

:meth:`Delivery.submit` records notices in the outbox (``pending``) and queues them; one worker
thread per channel sends its channel's notices in order, so a slow, rate-limited or dead channel
never delays another (threads, not asyncio: the client is synchronous httpx, the store is
synchronous, and a thread per channel — about a dozen — makes "one channel's wait is its own"
true by construction). Each worker:

* skips a channel whose webhook is dead (marks its notices ``dead``);
* for a notice with ``edit_of``, PATCHes the original message with the newest state of its
  incidents (:func:`~vigie.notify.render.render_edit`);
* posts a new message unless the notice is an ``ack`` whose original it just edited; a ``resolve``
  follow-up links to the original message;
* appends the outcome to the outbox (``sent`` with the message id, ``failed``, ``dead``, and one
  ``retried`` row per retried attempt) and counts it in the ``vigie.notify.*`` metrics;
* on :class:`~vigie.notify.discord.Unavailable`, waits (exponential, capped) and tries the same
  notice again, keeping the channel's order.

A webhook answering "Unknown Webhook" is marked dead for as long as its URL is configured (the
marker is the key of the admins' ``webhook_dead`` notice, which embeds a fingerprint of the
URL, so configuring a new webhook revives the channel).
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Literal

from opentelemetry import metrics
from pydantic import SecretStr

from vigie.config.clubs import AlertsConfig
from vigie.errors import ConfigError
from vigie.notify import render
from vigie.notify.discord import Rejected, Unavailable, WebhookClient, WebhookDead
from vigie.notify.notice import ADMINS, Notice
from vigie.notify.outbox import Outbox, SentMessage
from vigie.store.client import Store

log = logging.getLogger(__name__)

DEAD_PREFIX = "webhook-dead:"
UNKNOWN_MESSAGE = 10008
_SENT_CACHE = 5000
PENDING_MAX_AGE = timedelta(hours=6)
"""A notice older than this when its turn comes is not sent (``failed``, "expired"): after a
long outage, six-hour-old pages are noise; the incident pages and reports still have them."""


def utc_now() -> datetime:
    return datetime.now(UTC)


class Delivery:
    """The dispatcher. Lifespan: ``start()`` (sends what a previous run left pending),
    ``submit()`` any time, ``stop()`` at shutdown (closes the client)."""

    def __init__(
        self,
        store: Store,
        alerts: AlertsConfig,
        environ: Mapping[str, str],
        client: WebhookClient,
        clock: Callable[[], datetime] = utc_now,
        *,
        meter_provider: metrics.MeterProvider | None = None,
        retry_delay_s: float = 2.0,
        retry_max_s: float = 300.0,
        pending_max_age: timedelta = PENDING_MAX_AGE,
    ) -> None:
        self.outbox = Outbox(store, clock)
        self._alerts = alerts
        self._environ = environ
        self._client = client
        self._clock = clock
        self._retry_delay_s = retry_delay_s
        self._retry_max_s = retry_max_s
        self._pending_max_age = pending_max_age
        self._club_names = {club.id: club.name for club in alerts.clubs}
        self._lock = threading.Condition()
        self._workers: dict[str, _Worker] = {}
        self._queued: set[str] = set()  # keys queued or in flight
        self._dead: set[str] = set()  # DEAD_PREFIX keys
        self._sent: dict[str, SentMessage] = {}
        self._edits: dict[str, list[Notice]] = {}
        self._guilds: dict[str, str | None] = {}
        self.stopping = threading.Event()
        meter = (meter_provider or metrics.get_meter_provider()).get_meter("vigie.notify")
        self._sent_count = meter.create_counter("vigie.notify.sent", description="messages sent")
        self._failed_count = meter.create_counter(
            "vigie.notify.failed", description="notices given up (refused, dead webhook, expired)"
        )
        self._retried_count = meter.create_counter(
            "vigie.notify.retried", description="attempts retried (429, 5xx, timeouts)"
        )
        self._delay = meter.create_histogram(
            "vigie.notify.delay", unit="s", description="from notice creation to Discord's answer"
        )

    # -- lifespan -----------------------------------------------------------------------------

    def start(self) -> int:
        """Restore dead webhooks and queue what a previous run left pending; returns how many."""
        self._dead |= self.outbox.keys_like(DEAD_PREFIX)
        return self.run_pending()

    def run_pending(self) -> int:
        """Queue every pending notice of the outbox not already queued (older ones than
        ``pending_max_age`` would only expire: they are not read)."""
        since = self._clock() - self._pending_max_age
        notices = [n for n in self.outbox.pending(since) if n.key not in self._queued]
        self._enqueue(notices)
        return len(notices)

    def submit(self, notices: Sequence[Notice]) -> None:
        """Record ``notices`` (new keys only) and queue them; returns without waiting for
        Discord. After :meth:`stop`, notices are still recorded (sent on the next start)."""
        fresh = self.outbox.record(notices)
        self._enqueue(fresh)

    def drain(self, timeout: float) -> bool:
        """Wait until every queued notice is concluded (sent, failed or dead); ``False`` if some
        are still queued or waiting for a retry after ``timeout`` seconds. For tests, benches
        and shutdown."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while self._queued and (left := deadline - time.monotonic()) > 0:
                self._lock.wait(min(left, 0.5))
            return not self._queued

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the workers (a notice in flight stays pending) and close the client."""
        self.stopping.set()
        self._client.close()
        with self._lock:
            workers = list(self._workers.values())
            self._lock.notify_all()
        for worker in workers:
            worker.wake()
        for worker in workers:
            worker.join(timeout / max(1, len(workers)))

    # -- queueing -----------------------------------------------------------------------------

    def _enqueue(self, notices: Sequence[Notice]) -> None:
        if self.stopping.is_set():
            return
        with self._lock:
            for notice in notices:
                if notice.key in self._queued:
                    continue
                self._queued.add(notice.key)
                worker = self._workers.get(notice.channel)
                if worker is None:
                    worker = self._workers[notice.channel] = _Worker(self, notice.channel)
                    worker.start()
                worker.put(notice)

    def done(self, notice: Notice) -> None:
        with self._lock:
            self._queued.discard(notice.key)
            self._lock.notify_all()

    # -- one notice ---------------------------------------------------------------------------

    def deliver(self, notice: Notice, attempt: int) -> float | None:
        """Send one notice: ``None`` when concluded (sent, failed or dead), else the seconds to
        wait before trying it again."""
        channel = notice.channel

        def retried(reason: str, wait: float) -> None:
            self._retried_count.add(1, {"channel": channel, "reason": reason})
            self.outbox.mark(notice, "retried", attempt=attempt, detail=f"{reason}, {wait:.2f}s")

        try:
            url = self._webhook(channel)
        except (KeyError, ConfigError) as exc:
            self._give_up(notice, "failed", f"no webhook: {exc}", attempt)
            return None
        marker = dead_marker(channel, url)
        if marker in self._dead:
            self._give_up(notice, "dead", "webhook dead", attempt)
            return None
        if self._clock() - notice.created_at > self._pending_max_age:
            self._give_up(notice, "failed", "expired", attempt)
            return None
        try:
            sent_id, discord_channel = self._send(notice, url, retried)
        except WebhookDead as exc:
            self._dead.add(marker)
            self._give_up(notice, "dead", str(exc), attempt)
            self._announce_dead(channel, marker)
            return None
        except Rejected as exc:
            self._give_up(notice, "failed", str(exc), attempt)
            return None
        except Unavailable as exc:
            if self.stopping.is_set():
                return 0.0
            self._retried_count.add(1, {"channel": channel, "reason": "unavailable"})
            self.outbox.mark(notice, "retried", attempt=attempt, detail=f"unavailable: {exc}")
            log.warning("discord unavailable", extra={"channel": channel, "error": str(exc)})
            # Discord may have said how long (a long 429): never sooner, never past the cap.
            return min(self._retry_max_s, max(exc.retry_after or 0.0, self.retry_wait(attempt)))
        self.outbox.mark(
            notice, "sent", message_id=sent_id, discord_channel_id=discord_channel, attempt=attempt
        )
        self._sent_count.add(1, {"channel": channel, "kind": notice.kind})
        self._delay.record(
            max(0.0, (self._clock() - notice.created_at).total_seconds()), {"channel": channel}
        )
        return None

    def retry_wait(self, attempt: int) -> float:
        return float(min(self._retry_max_s, self._retry_delay_s * 2.0 ** max(0, attempt - 1)))

    def _send(
        self, notice: Notice, url: SecretStr, retried: Callable[[str, float], None]
    ) -> tuple[str, str]:
        original = self._original(notice.edit_of) if notice.edit_of else None
        if original is not None and notice.edit_of is not None:
            updates = [*self._edits_of(notice.edit_of), notice]
            payload = render.render_edit(original.notice, updates, club_names=self._club_names)
            try:
                self._client.edit(url, original.message_id, payload, on_retry=retried)
            except Rejected as exc:
                if exc.code != UNKNOWN_MESSAGE:
                    raise
                # Someone deleted the original: the follow-up still tells the channel.
                original = None
            else:
                self._edits.setdefault(notice.edit_of, []).append(notice)
                if notice.kind == "ack":
                    return original.message_id, original.discord_channel_id
        link = None
        if original is not None and notice.kind == "resolve":
            guild = self._guild(notice.channel, url)
            link = render.message_link(guild, original.discord_channel_id, original.message_id)
        payload = render.render_message(
            notice,
            club_names=self._club_names,
            mentions=render.mentions_for(notice, self._mentionable(notice.channel)),
            original_link=link,
        )
        sent = self._client.execute(url, payload, on_retry=retried)
        if len(self._sent) >= _SENT_CACHE:
            self._sent.pop(next(iter(self._sent)))  # the oldest; the outbox still has it
        self._sent[notice.key] = SentMessage(notice, sent.message_id, sent.channel_id or "")
        return sent.message_id, sent.channel_id or ""

    def _original(self, key: str) -> SentMessage | None:
        if key not in self._sent:
            found = self.outbox.sent(key)
            if found is None:
                return None
            self._sent[key] = found
        return self._sent[key]

    def _edits_of(self, key: str) -> list[Notice]:
        if key not in self._edits:
            self._edits[key] = self.outbox.sent_edits(key)
        return self._edits[key]

    def _guild(self, channel: str, url: SecretStr) -> str | None:
        """The guild id (for message links), asked once per channel; ``None`` if unknown."""
        if channel not in self._guilds:
            try:
                self._guilds[channel] = self._client.webhook_info(url)[0]
            except (Rejected, Unavailable, WebhookDead):
                return None
        return self._guilds[channel]

    def _webhook(self, channel: str) -> SecretStr:
        if channel == ADMINS:
            return self._alerts.admins.webhook.resolve(self._environ)
        return self._alerts.club(channel).webhook.resolve(self._environ)

    def _mentionable(self, channel: str) -> frozenset[str]:
        if channel == ADMINS:
            return frozenset(self._alerts.admins.mentions)
        return frozenset(self._alerts.club(channel).captains)

    def _give_up(
        self, notice: Notice, event: Literal["failed", "dead"], detail: str, attempt: int
    ) -> None:
        self.outbox.mark(notice, event, attempt=attempt, detail=detail)
        self._failed_count.add(1, {"channel": notice.channel, "reason": event})
        log.warning(
            "notice not delivered",
            extra={
                "channel": notice.channel,
                "key": notice.key,
                "outcome": event,
                "detail": detail,
            },
        )

    def _announce_dead(self, channel: str, marker: str) -> None:
        if channel == ADMINS:
            log.error("the admins' Discord webhook is dead; nobody can be told on Discord")
            return
        now = self._clock()
        notice = Notice(
            key=marker,
            channel=ADMINS,
            locale="fr",
            kind="webhook_dead",
            lines=(),
            created_at=now,
            extra={"channel": channel},
        )
        self.submit([notice])


def dead_marker(channel: str, url: SecretStr) -> str:
    """The key of the ``webhook_dead`` notice of this channel and URL (a fingerprint of the URL,
    never the URL)."""
    digest = hashlib.sha256(url.get_secret_value().encode()).hexdigest()[:16]
    return f"{DEAD_PREFIX}{channel}:{digest}"


class _Worker(threading.Thread):
    """Sends one channel's notices, in order."""

    def __init__(self, delivery: Delivery, channel: str) -> None:
        super().__init__(name=f"vigie-notify-{channel}", daemon=True)
        self._delivery = delivery
        self._queue: deque[Notice] = deque()
        self._ready = threading.Condition()

    def put(self, notice: Notice) -> None:
        with self._ready:
            self._queue.append(notice)
            self._ready.notify()

    def wake(self) -> None:
        with self._ready:
            self._ready.notify_all()

    def run(self) -> None:
        stopping = self._delivery.stopping
        while not stopping.is_set():
            with self._ready:
                while not self._queue and not stopping.is_set():
                    self._ready.wait()
                if stopping.is_set():
                    return
                notice = self._queue[0]
            attempt = 1
            while not stopping.is_set():
                try:
                    wait = self._delivery.deliver(notice, attempt)
                except Exception:  # the edge of a job: one bad notice must not kill the channel
                    log.exception("notice delivery crashed", extra={"key": notice.key})
                    wait = self._delivery.retry_wait(attempt)
                if wait is None:
                    break
                with self._ready:
                    self._ready.wait(wait)
                attempt += 1
            if stopping.is_set():
                return
            with self._ready:
                self._queue.popleft()
            self._delivery.done(notice)
