"""Vigie's own prober: the checks of the ``http_check`` receiver, run by ``vigie probes run``.

For a platform whose collector lacks the contrib receiver (the project's ``otelcol-vigie`` build:
the module is not served by the Go module proxy it builds from), this requests every probe of
the SLO files on its interval, as the receiver does (GET, redirects followed, TLS verified, the
body searched for ``body_contains``), and sends the results to a collector's OTLP/HTTP receiver
in the receiver's exact shape (:mod:`vigie.probes.otlp`): the rows, rollup, SLI and notices are
the same whichever prober runs. Run one of the two, not both (each check would count twice).
"""

from __future__ import annotations

import logging
import ssl
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta

import httpx

from vigie.config.slo import Probe
from vigie.probes.collector import MAX_TIMEOUT
from vigie.probes.otlp import Check, request

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 1 << 20  # a body is searched in its first MiB
SEND_TIMEOUT_S = 10.0

Clock = Callable[[], datetime]


def _now() -> datetime:
    return datetime.now(UTC)


def _error_text(exc: httpx.HTTPError) -> str:
    """The error as the receiver would word its kind (Go's texts), plus Python's detail."""
    detail = str(exc) or type(exc).__name__
    if isinstance(exc, httpx.TimeoutException):
        return f"timeout: {detail}"
    return detail


def _cert_remaining(response: httpx.Response, at: datetime) -> int | None:
    """Seconds until the server certificate's ``notAfter`` (negative once expired)."""
    stream = response.extensions.get("network_stream")
    ssl_object = stream.get_extra_info("ssl_object") if stream is not None else None
    if ssl_object is None:
        return None
    cert = ssl_object.getpeercert()
    if not cert or "notAfter" not in cert:
        return None
    return int(ssl.cert_time_to_seconds(str(cert["notAfter"])) - at.timestamp())


class Prober:
    """Checks probes and sends the results (``send`` gets the encoded export request)."""

    def __init__(
        self,
        send: Callable[[bytes], None],
        *,
        clock: Clock = _now,
        verify: ssl.SSLContext | bool = True,
    ) -> None:
        self.send = send
        self.clock = clock
        self._client = httpx.Client(follow_redirects=True, verify=verify)

    def close(self) -> None:
        self._client.close()

    def check(self, probe: Probe) -> Check:
        at = self.clock()
        started = time.perf_counter()
        timeout = min(probe.interval, MAX_TIMEOUT).total_seconds()
        try:
            with self._client.stream("GET", probe.url, timeout=timeout) as response:
                cert = _cert_remaining(response, at)
                failed = None
                if probe.body_contains is not None:
                    body = b""
                    for chunk in response.iter_bytes():
                        body += chunk
                        if len(body) >= MAX_BODY_BYTES:
                            break
                    text = body[:MAX_BODY_BYTES].decode(response.encoding or "utf-8", "replace")
                    failed = 0 if probe.body_contains in text else 1
                status = response.status_code
        except httpx.HTTPError as exc:
            return Check(probe.url, at, error=_error_text(exc), duration_ms=_ms(started))
        return Check(probe.url, at, status=status, duration_ms=_ms(started),
                     cert_remaining_s=cert, validation_failed=failed)

    def run_once(self, probes: Sequence[Probe]) -> list[Check]:
        """Check every probe once and send the results in one request."""
        checks = [self.check(probe) for probe in probes]
        if checks:
            self.send(request(checks).SerializeToString())
        return checks

    def run(self, probes: Sequence[Probe], *, stop: Callable[[], bool]) -> None:
        """Check each probe on its own interval until ``stop()``; a failed send is logged and
        the next round goes on (the collector's queue, not this loop, is the buffer)."""
        due = dict.fromkeys(range(len(probes)), self.clock())
        while not stop():
            now = self.clock()
            ready = [i for i, moment in due.items() if moment <= now]
            try:
                self.run_once([probes[i] for i in ready])
            except httpx.HTTPError as exc:
                log.warning("probe results not sent: %s", exc)
            for i in ready:
                due[i] = now + probes[i].interval
            wait = min(due.values()) - self.clock()
            time.sleep(max(wait, timedelta(0)).total_seconds())


def _ms(started: float) -> int:
    return int((time.perf_counter() - started) * 1000)


def otlp_sender(endpoint: str, client: httpx.Client | None = None) -> Callable[[bytes], None]:
    """POST export requests to ``<endpoint>/v1/metrics`` (OTLP/HTTP, protobuf)."""
    http = client or httpx.Client()
    url = endpoint.rstrip("/") + "/v1/metrics"

    def send(body: bytes) -> None:
        answer = http.post(url, content=body, timeout=SEND_TIMEOUT_S,
                           headers={"Content-Type": "application/x-protobuf"})
        answer.raise_for_status()

    return send
