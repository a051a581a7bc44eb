"""Discord webhook client (the HTTP edge of delivery), over ``httpx``.

* ``execute`` posts with ``?wait=true`` and returns the created message's id; ``edit`` PATCHes
  ``/messages/{id}``; ``webhook_info`` reads the webhook object (its guild and channel ids).
* Rate limits: the ``X-RateLimit-*`` headers are kept per bucket, and a request whose bucket is
  known to be empty waits for its reset before going out. A 429 waits ``retry_after`` (JSON body,
  else the ``Retry-After`` header) and retries; a global 429 pauses every bucket.
* 5xx answers, timeouts and connection errors are retried with exponential backoff and jitter,
  a bounded number of times, then :class:`Unavailable` (the caller tries again later).
* 404 code 10015 (Unknown Webhook) and 401 code 50027 (Invalid Webhook Token) raise
  :class:`WebhookDead` at once, never retried: too many 401/403/429 answers get the IP banned.
* Other 4xx raise :class:`Rejected` (the body is wrong; retrying cannot help).

Webhook URLs carry their token: they are taken as :class:`~pydantic.SecretStr`, and every message,
exception and log line (including httpx's own request log) shows ``webhooks/<id>/***`` only.
Every request has bounded timeouts; every wait is bounded and interrupted by :meth:`close`.
"""

from __future__ import annotations

import logging
import random
import re
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx
from pydantic import SecretStr

from vigie.errors import VigieError

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT = httpx.Timeout(10.0, connect=5.0, pool=5.0)
UNKNOWN_WEBHOOK = 10015
INVALID_WEBHOOK_TOKEN = 50027
_WEBHOOK_PATH = re.compile(r"webhooks/(\d+)/[^/?\s\"']+")

RetryHook = Callable[[str, float], None]
"""Called before each retry with the reason (``rate_limited``, ``server_error``, ``timeout``,
``connection``) and the wait in seconds."""


def redact(text: str) -> str:
    """Every ``webhooks/<id>/<token>`` in ``text`` as ``webhooks/<id>/***``."""
    return _WEBHOOK_PATH.sub(r"webhooks/\1/***", text)


class DeliveryError(VigieError):
    """A message could not be delivered; the message names the webhook by id only."""


class WebhookDead(DeliveryError):
    """The webhook was deleted (or its token revoked): never use it again."""


class Rejected(DeliveryError):
    """Discord refused the request itself (4xx other than rate limits): not retried."""

    def __init__(self, message: str, *, status: int, code: int | None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code


class Unavailable(DeliveryError):
    """Discord could not be reached or kept failing within the attempts allowed; try later."""

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


@dataclass(frozen=True)
class Sent:
    """Discord's answer to a message sent or edited."""

    message_id: str
    channel_id: str | None


class _RedactingFilter(logging.Filter):
    """Rewrites httpx/httpcore records (``HTTP Request: POST https://…/webhooks/id/token``)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.getMessage())
        record.args = None
        return True


_FILTER = _RedactingFilter()


def _install_log_filter() -> None:
    for name in ("httpx", "httpcore"):
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)


@dataclass
class _Bucket:
    remaining: int | None = None
    reset_at: float = 0.0  # monotonic


class WebhookClient:
    """Thread-safe: channel workers share one client (and its connection pool and buckets)."""

    def __init__(
        self,
        *,
        transport: httpx.BaseTransport | None = None,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
        max_attempts: int = 4,
        max_rate_limited: int = 8,
        backoff_base_s: float = 0.5,
        backoff_max_s: float = 20.0,
        max_wait_s: float = 60.0,
        monotonic: Callable[[], float] = time.monotonic,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        _install_log_filter()
        self._http = httpx.Client(transport=transport, timeout=timeout, follow_redirects=False)
        self._max_attempts = max_attempts
        self._max_rate_limited = max_rate_limited
        self._backoff_base_s = backoff_base_s
        self._backoff_max_s = backoff_max_s
        self._max_wait_s = max_wait_s
        self._monotonic = monotonic
        self._jitter = jitter
        self._lock = threading.Lock()
        self._closed = threading.Event()
        self._routes: dict[str, str] = {}  # "<webhook id> <method>" → bucket id
        self._buckets: dict[str, _Bucket] = {}
        self._global_until = 0.0

    def close(self) -> None:
        """Interrupt every wait and close the connections."""
        self._closed.set()
        self._http.close()

    def execute(
        self, url: SecretStr, payload: Mapping[str, Any], *, on_retry: RetryHook | None = None
    ) -> Sent:
        """Post a message (``?wait=true``) and return its id."""
        answer = self._request("POST", url, "", payload, {"wait": "true"}, on_retry)
        return Sent(str(answer["id"]), _opt(answer.get("channel_id")))

    def edit(
        self,
        url: SecretStr,
        message_id: str,
        payload: Mapping[str, Any],
        *,
        on_retry: RetryHook | None = None,
    ) -> Sent:
        """Edit a message this webhook sent."""
        if not message_id.isdigit():
            raise ValueError("message ids are snowflakes")
        answer = self._request("PATCH", url, f"/messages/{message_id}", payload, {}, on_retry)
        return Sent(str(answer.get("id", message_id)), _opt(answer.get("channel_id")))

    def webhook_info(self, url: SecretStr) -> tuple[str | None, str | None]:
        """``(guild_id, channel_id)`` of the webhook (the message object lacks the guild)."""
        answer = self._request("GET", url, "", None, {}, None)
        return _opt(answer.get("guild_id")), _opt(answer.get("channel_id"))

    # -- one request with its retries ---------------------------------------------------------

    def _request(
        self,
        method: str,
        url: SecretStr,
        suffix: str,
        payload: Mapping[str, Any] | None,
        params: Mapping[str, str],
        on_retry: RetryHook | None,
    ) -> dict[str, Any]:
        base = httpx.URL(url.get_secret_value())
        target = base.copy_with(path=base.path.rstrip("/") + suffix).copy_merge_params(params)
        name = redact(f"{method} {base.path}{suffix}").lstrip()
        route = f"{_webhook_id(base.path)} {method}"
        failures = rate_limited = 0
        while True:
            self._wait(self._bucket_wait(route), name)
            try:
                response = self._http.request(method, target, json=payload)
            except httpx.TimeoutException:
                reason, detail = "timeout", "timed out"
            except httpx.TransportError as exc:
                reason, detail = "connection", type(exc).__name__
            except RuntimeError:
                if self._closed.is_set():  # close() raced this request: not a failure
                    raise Unavailable(f"{name}: client closed") from None
                raise
            else:
                self._learn(route, response)
                if response.is_success:
                    return _json(response)
                body = _json(response)
                if response.status_code == 429:
                    rate_limited += 1
                    wait = self._retry_after(response, body)
                    if rate_limited >= self._max_rate_limited or wait > self._max_wait_s:
                        raise Unavailable(f"{name}: rate limited", retry_after=wait)
                    if body.get("global") or response.headers.get("X-RateLimit-Global"):
                        with self._lock:
                            self._global_until = self._monotonic() + wait
                    _notify(on_retry, "rate_limited", wait)
                    self._wait(wait, name)
                    continue
                code = body.get("code") if isinstance(body.get("code"), int) else None
                if (response.status_code, code) in (
                    (404, UNKNOWN_WEBHOOK),
                    (401, INVALID_WEBHOOK_TOKEN),
                ):
                    raise WebhookDead(f"{name}: {response.status_code} {body.get('message', '')}")
                if response.status_code < 500:
                    message = redact(str(body.get("message", "")))[:200]
                    raise Rejected(
                        f"{name}: {response.status_code} {message}".rstrip(),
                        status=response.status_code,
                        code=code,
                    )
                reason, detail = "server_error", f"HTTP {response.status_code}"
            failures += 1
            if failures >= self._max_attempts:
                raise Unavailable(f"{name}: {detail} ({failures} attempts)")
            wait = self._backoff(failures)
            _notify(on_retry, reason, wait)
            self._wait(wait, name)

    def _backoff(self, failures: int) -> float:
        """Exponential with "equal jitter": half fixed, half random."""
        ceiling = min(self._backoff_max_s, self._backoff_base_s * 2.0 ** (failures - 1))
        return ceiling / 2 + ceiling / 2 * self._jitter()

    def _retry_after(self, response: httpx.Response, body: Mapping[str, Any]) -> float:
        for value in (
            body.get("retry_after"),
            response.headers.get("Retry-After"),
            response.headers.get("X-RateLimit-Reset-After"),
        ):
            try:
                if value is not None:
                    seconds = float(value)
                    return max(0.0, seconds)
            except (TypeError, ValueError):
                continue
        return 1.0

    def _bucket_wait(self, route: str) -> float:
        """Seconds to wait before this route may send; reserves one request of its bucket."""
        with self._lock:
            now = self._monotonic()
            wait = max(0.0, self._global_until - now)
            bucket = self._buckets.get(self._routes.get(route, ""))
            if bucket is None or bucket.remaining is None:
                return wait
            if bucket.reset_at <= now:
                bucket.remaining = None  # the window has passed: unknown until the next answer
                return wait
            if bucket.remaining <= 0:
                return max(wait, bucket.reset_at - now)
            bucket.remaining -= 1
            return wait

    def _learn(self, route: str, response: httpx.Response) -> None:
        headers = response.headers
        bucket_id = headers.get("X-RateLimit-Bucket")
        if bucket_id is None:
            return
        try:
            remaining = int(headers["X-RateLimit-Remaining"])
            reset_after = float(headers["X-RateLimit-Reset-After"])
        except (KeyError, ValueError):
            return
        with self._lock:
            self._routes[route] = bucket_id
            bucket = self._buckets.setdefault(bucket_id, _Bucket())
            bucket.remaining = remaining
            bucket.reset_at = self._monotonic() + reset_after

    def _wait(self, seconds: float, name: str) -> None:
        if seconds > 0 and self._closed.wait(min(seconds, self._max_wait_s)):
            raise Unavailable(f"{name}: client closed")
        if self._closed.is_set():
            raise Unavailable(f"{name}: client closed")


def _webhook_id(path: str) -> str:
    match = re.search(r"webhooks/(\d+)", path)
    return match.group(1) if match else "?"


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        data = response.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _opt(value: Any) -> str | None:
    return str(value) if value is not None else None


def _notify(hook: RetryHook | None, reason: str, wait: float) -> None:
    log.info("discord retry", extra={"reason": reason, "wait_s": round(wait, 3)})
    if hook is not None:
        hook(reason, wait)
