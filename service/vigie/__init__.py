"""Vigie: observability pipeline and SLO alert router of the Cedille platform.

The package reads like the pipeline: ``ingest`` (OTLP in, PII scrubbing) → ``store``
(ClickHouse schema and the one SQL execution path) → ``slo`` (evaluation) → … → ``cli``.
"""

__version__ = "0.1.0"
