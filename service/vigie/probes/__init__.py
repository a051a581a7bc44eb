"""Probes: club sites checked from outside, whether or not they send OpenTelemetry.

* :mod:`~vigie.probes.collector` — the probe collector's config, generated from ``probes:``;
* :mod:`~vigie.probes.metrics` — the names the ``http_check`` receiver writes, and where.
"""
