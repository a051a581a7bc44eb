"""The one execution path for SQL.

Every statement Vigie runs goes through :class:`Store`: values are bound as server-side
parameters (``{name:Type}`` placeholders, never formatted into the text), every query carries the
configured time limit, and driver errors become :mod:`vigie.errors` types with the password-free
DSN in the message.

The embedded engine (``chdb://<dir>``) accepts one data directory per process, so ``connect``
keeps one engine per process and hands out clients bound to a database inside it; tests isolate
with separate databases in one directory.
"""

from __future__ import annotations

import struct
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import clickhouse_connect
from clickhouse_connect.driver.binding import quote_identifier
from clickhouse_connect.driver.client import Client
from clickhouse_connect.driver.exceptions import ClickHouseError, OperationalError

from vigie.errors import QueryTimeout, StoreError, StoreUnavailable
from vigie.settings import Dsn, Settings

_TIMEOUT_CODE = "Code: 159."
_UNREACHABLE_CODES = ("Code: 210.", "Code: 209.")


@dataclass(frozen=True)
class QueryResult:
    """Rows of a query with their column names."""

    columns: tuple[str, ...]
    rows: list[tuple[Any, ...]]

    def dicts(self) -> list[dict[str, Any]]:
        return [dict(zip(self.columns, row, strict=True)) for row in self.rows]

    def scalar(self) -> Any:
        return self.rows[0][0] if self.rows else None


class Store:
    """A ClickHouse database reached through clickhouse-connect (HTTP or embedded chdb)."""

    def __init__(self, client: Client, dsn: Dsn, database: str, timeout_s: float) -> None:
        self._client = client
        self._dsn = dsn
        self.database = database
        self.timeout_s = timeout_s
        # clickhouse-connect clients are not safe for concurrent use; the receiver's writer and
        # the API share one store, so statements are serialised per Store.
        self._lock = threading.Lock()

    @property
    def embedded(self) -> bool:
        return self._dsn.embedded

    def __repr__(self) -> str:
        return f"Store({self._dsn}, database={self.database!r})"

    def _settings(self) -> dict[str, Any]:
        return {"max_execution_time": max(1, round(self.timeout_s))}

    def query(self, sql: str, params: Mapping[str, Any] | None = None) -> QueryResult:
        """Run a SELECT with bound parameters; returns its rows."""
        with self._lock, self._mapped_errors(sql):
            result = self._client.query(
                sql, parameters=dict(params or {}), settings=self._settings()
            )
            return QueryResult(tuple(result.column_names), [tuple(r) for r in result.result_rows])

    def command(self, sql: str, params: Mapping[str, Any] | None = None) -> None:
        """Run a statement that returns nothing (DDL, INSERT … SELECT)."""
        with self._lock, self._mapped_errors(sql):
            self._client.command(sql, parameters=dict(params or {}), settings=self._settings())

    def insert(
        self,
        table: str,
        columns: Sequence[str],
        data: Sequence[Sequence[Any]],
        *,
        column_oriented: bool = False,
    ) -> None:
        """Insert rows (or columns, with ``column_oriented``) into ``table`` of this database."""
        with self._lock, self._mapped_errors(f"INSERT INTO {table}"):
            self._client.insert(
                table,
                data,
                column_names=list(columns),
                database=self.database,
                column_oriented=column_oriented,
                settings=self._settings(),
            )

    def insert_raw(self, table: str, columns: Sequence[str], payload: bytes, fmt: str) -> None:
        """Insert ``payload``, rows of ``columns`` already encoded in the ClickHouse format
        ``fmt`` (e.g. ``Native``): the engine parses them, no per-value work in Python."""
        with self._lock, self._mapped_errors(f"INSERT INTO {table} FORMAT {fmt}"):
            self._client.raw_insert(
                f"{quote_identifier(self.database)}.{quote_identifier(table)}",
                list(columns),
                payload,
                settings=self._settings(),
                fmt=fmt,
            )

    def close(self) -> None:
        with self._lock:
            self._client.close()

    @contextmanager
    def _mapped_errors(self, sql: str) -> Iterator[None]:
        """Turn driver exceptions into Vigie's, naming the store and the statement."""
        try:
            yield
        except (TypeError, ValueError, OverflowError, struct.error) as exc:
            # raised by the driver while encoding values: the rows, not the store, are wrong
            raise StoreError(f"{self._where(sql)}: cannot encode values: {exc}") from None
        except (ClickHouseError, OSError) as exc:
            text = _first_line(str(exc))
            where = self._where(sql)
            if _TIMEOUT_CODE in text:
                raise QueryTimeout(f"{where}: query exceeded {self.timeout_s:g}s") from None
            if isinstance(exc, OperationalError | OSError) or any(
                code in text for code in _UNREACHABLE_CODES
            ):
                raise StoreUnavailable(f"{where}: {text}") from None
            raise StoreError(f"{where}: {text}") from None

    def _where(self, sql: str) -> str:
        return f"{self!r}: {_first_line(sql)[:120]}"


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else text


_engine_lock = threading.Lock()


def connect(settings: Settings, database: str | None = None, *, create: bool = True) -> Store:
    """Open the configured store, bound to ``database`` (default: the settings' database)."""
    dsn = settings.clickhouse_dsn
    name = database or settings.database
    with _engine_lock:
        try:
            client = _open(dsn, settings)
            if create:
                client.command(f"CREATE DATABASE IF NOT EXISTS `{_identifier(name)}`")
            client.database = name
        except ClickHouseError as exc:
            raise StoreUnavailable(f"cannot open store {dsn}: {_first_line(str(exc))}") from None
        except OSError as exc:
            raise StoreUnavailable(f"cannot reach store {dsn}: {exc}") from None
    return Store(client, dsn, name, settings.query_timeout_s)


def _open(dsn: Dsn, settings: Settings) -> Client:
    if dsn.embedded:
        # The path goes in as is: in a chdb:// DSN, clickhouse-connect reads the first path
        # segment of chdb://./dir as a database name.
        return clickhouse_connect.get_client(interface="chdb", path=dsn.chdb_path)
    return clickhouse_connect.get_client(
        dsn=dsn.get_secret_value(),
        connect_timeout=10,
        send_receive_timeout=int(settings.query_timeout_s) + 5,
    )


def _identifier(name: str) -> str:
    # Database names come from validated settings (pattern-checked); refuse anything else so a
    # name can never carry SQL.
    if not name.replace("_", "").isalnum():
        raise StoreError(f"invalid database name {name!r}")
    return name
