"""What the contrib ``http_check`` receiver (``receiver/httpcheckreceiver``, v0.161.0) writes.

Per target and check, at one timestamp (``documentation.md`` / ``scraper.go`` of the receiver):

* ``httpcheck.status`` (a non-monotonic cumulative **sum**, table ``otel_metrics_sum``): five
  points, one per ``http.status_class`` (``1xx`` … ``5xx``); the point of the answer's class has
  value 1 and carries ``http.status_code``; the four others have value 0 and no status code.
  A check that got no answer (refused, timed out, TLS failure) has five points of value 0;
* ``httpcheck.error`` (sum): one point of value 1 with ``error.message`` when there was no answer;
* ``httpcheck.duration`` (gauge, ms); ``httpcheck.tls.cert_remaining`` (gauge, seconds until the
  certificate's ``NotAfter``, negative once expired; optional, Vigie enables it) with
  ``http.tls.cn`` and ``http.tls.issuer``;
* ``httpcheck.validation.failed`` / ``.passed`` (sums, optional, Vigie enables them): the number of
  body validations (``validation.type``, e.g. ``contains``) that failed / passed in the check.

Every point carries ``http.url``: the target's endpoint, exactly as configured. Vigie keys its
probes by that URL (unique across the SLO files), so the prober needs no other label.
"""

from __future__ import annotations

STATUS = "httpcheck.status"
ERROR = "httpcheck.error"
DURATION = "httpcheck.duration"
CERT_REMAINING = "httpcheck.tls.cert_remaining"
VALIDATION_FAILED = "httpcheck.validation.failed"
VALIDATION_PASSED = "httpcheck.validation.passed"

URL = "http.url"
STATUS_CODE = "http.status_code"
STATUS_CLASS = "http.status_class"
METHOD = "http.method"
ERROR_MESSAGE = "error.message"
TLS_CN = "http.tls.cn"
TLS_ISSUER = "http.tls.issuer"
VALIDATION_TYPE = "validation.type"

STATUS_CLASSES = ("1xx", "2xx", "3xx", "4xx", "5xx")

PROBER_SERVICE = "vigie-prober"
"""``service.name`` of the probe collector's data (its resource processor sets it)."""
