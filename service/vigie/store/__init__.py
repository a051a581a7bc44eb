"""Store: ClickHouse access (``client``) and the schema Vigie owns (``migrations``)."""

from vigie.store.client import QueryResult, Store, connect

__all__ = ["QueryResult", "Store", "connect"]
