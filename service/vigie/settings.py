"""Settings: the one place that reads the environment (prefix ``VIGIE_``).

``Settings`` is read once at start-up (:func:`load_settings`) and passed explicitly to whatever
needs it. Secrets are :class:`pydantic.SecretStr`; the store DSN is a :class:`Dsn`, whose text
form hides the password, so neither prints in a repr, a log line or an error.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit, urlunsplit

from pydantic import BeforeValidator, Field, PlainSerializer, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from vigie.errors import ConfigError

DEFAULT_DSN = "chdb://./.vigie/data"


class Dsn:
    """A store address whose password never shows: ``str()`` and ``repr()`` mask it."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        parts = urlsplit(value)
        if parts.scheme not in ("chdb", "http", "https"):
            raise ValueError(
                f"unsupported scheme {parts.scheme!r}: use chdb://<dir>, http://… or https://…"
            )
        if parts.scheme == "chdb" and not (parts.netloc or parts.path):
            raise ValueError("chdb:// needs a data directory, e.g. chdb://./.vigie/data")
        self._value = value

    def get_secret_value(self) -> str:
        return self._value

    @property
    def scheme(self) -> str:
        return urlsplit(self._value).scheme

    @property
    def embedded(self) -> bool:
        return self.scheme == "chdb"

    @property
    def chdb_path(self) -> str:
        """The data directory of an embedded store (``chdb://./x`` → ``./x``)."""
        parts = urlsplit(self._value)
        return (parts.netloc + parts.path) or "."

    @property
    def database(self) -> str | None:
        """The database named in an HTTP DSN's path, if any."""
        if self.embedded:
            return None
        name = urlsplit(self._value).path.strip("/")
        return name or None

    def __str__(self) -> str:
        parts = urlsplit(self._value)
        if parts.password is None:
            return self._value
        host = parts.hostname or ""
        if parts.port:
            host = f"{host}:{parts.port}"
        user = parts.username or ""
        return urlunsplit((parts.scheme, f"{user}:***@{host}", parts.path, "", ""))

    def __repr__(self) -> str:
        return f"Dsn({str(self)!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Dsn) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


def _to_dsn(value: Any) -> Dsn:
    return value if isinstance(value, Dsn) else Dsn(str(value))


DsnField = Annotated[Dsn, BeforeValidator(_to_dsn), PlainSerializer(str, return_type=str)]


class Settings(BaseSettings):
    """Every knob of the service. Environment: ``VIGIE_<FIELD NAME>``."""

    model_config = SettingsConfigDict(
        env_prefix="VIGIE_", frozen=True, extra="ignore", arbitrary_types_allowed=True
    )

    clickhouse_dsn: DsnField = Field(
        default_factory=lambda: Dsn(DEFAULT_DSN),
        description="chdb://<dir> (embedded engine) or http(s)://user:pass@host:8123/db",
    )
    clickhouse_database: str = Field(
        default="otel",
        pattern=r"^[A-Za-z_][A-Za-z0-9_]*$",
        description="database holding the telemetry and Vigie's tables (an HTTP DSN path wins)",
    )
    clickhouse_cluster: str | None = Field(
        default=None, description="cluster name: DDL uses ON CLUSTER, Replicated and Distributed"
    )
    query_timeout_s: float = Field(default=30.0, gt=0, description="time limit of every query")
    ttl_days: int = Field(default=30, ge=0, description="telemetry TTL in days (0: keep forever)")
    config_dir: Path = Field(default=Path("."), description="where slo/, alerts/, dashboards/ live")

    ingest_max_body_bytes: int = Field(
        default=16 * 1024 * 1024, gt=0, description="largest OTLP body accepted, after gunzip"
    )
    ingest_queue_rows: int = Field(
        default=200_000, gt=0, description="rows waiting to be written before 429/503"
    )
    ingest_batch_rows: int = Field(default=50_000, gt=0, description="rows per INSERT at most")
    ingest_flush_interval_s: float = Field(
        default=1.0, gt=0, description="longest time a row nobody waits for stays in the queue"
    )
    ingest_anonymous: bool = Field(
        default=False,
        description="accept OTLP without an ingest token (quick start and demo on 127.0.0.1 only)",
    )
    ingest_commit_delay_s: float = Field(
        default=0.05, ge=0, description="how long a write gathers waiting requests into one insert"
    )
    ingest_write_timeout_s: float = Field(
        default=5.0, gt=0, description="longest an OTLP request waits for its insert (then 503)"
    )

    evaluation_interval_s: float = Field(
        default=30.0, gt=0, description="seconds between two SLO evaluations of `vigie serve`"
    )
    evaluation_alarm_after_s: float = Field(
        default=120.0,
        gt=0,
        description="evaluations failing this long: the admins are told directly on Discord",
    )
    public_url: str = Field(
        default="http://127.0.0.1:8000",
        description="base URL of Vigie's pages, for links in Discord messages and reports",
    )
    grafana_url: str = Field(
        default="http://127.0.0.1:3000", description="base URL of Grafana, for dashboard links"
    )

    log_level: str = Field(default="INFO", description="DEBUG, INFO, WARNING or ERROR")
    self_telemetry_endpoint: str | None = Field(
        default=None,
        description="OTLP/HTTP endpoint for Vigie's own traces and metrics (off when unset)",
    )

    @property
    def database(self) -> str:
        return self.clickhouse_dsn.database or self.clickhouse_database


def load_settings(**overrides: Any) -> Settings:
    """Read the environment once; a bad value becomes a :class:`ConfigError` naming the variable."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        problems = "; ".join(
            f"VIGIE_{'_'.join(str(p) for p in err['loc']).upper()}: {err['msg']}"
            for err in exc.errors()
        )
        raise ConfigError(f"invalid settings: {problems}") from None
