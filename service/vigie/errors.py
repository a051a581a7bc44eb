"""The exception tree of Vigie.

Everything Vigie raises on purpose derives from :class:`VigieError`, so the edges (CLI, HTTP
handlers, scheduled jobs) can turn it into a clear message without catching programming errors.

    VigieError
    ├── ConfigError          a settings value or a file under slo/ or alerts/ is wrong
    ├── StoreError           ClickHouse said no (bad SQL, missing table, …)
    │   ├── StoreUnavailable the store cannot be reached or opened
    │   └── QueryTimeout     a query ran past its time limit
    └── IngestError          a telemetry payload cannot be decoded at all
"""


class VigieError(Exception):
    """Base class of every error Vigie raises on purpose."""


class ConfigError(VigieError):
    """A configuration value or file is invalid; the message names the file and field."""


class StoreError(VigieError):
    """ClickHouse rejected a statement."""


class StoreUnavailable(StoreError):
    """The store cannot be reached (server down, embedded data directory held elsewhere)."""


class QueryTimeout(StoreError):
    """A query ran past the configured time limit."""


class IngestError(VigieError):
    """An OTLP request body cannot be decoded; the message says why."""
