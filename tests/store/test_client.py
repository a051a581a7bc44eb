import pytest

from vigie.errors import QueryTimeout, StoreError
from vigie.store import Store


def test_parameters_are_bound_not_formatted(store: Store) -> None:
    hostile = "x'); DROP DATABASE system; --"
    assert store.query("SELECT {v:String} AS v", {"v": hostile}).scalar() == hostile


def test_bad_sql_becomes_store_error_naming_the_statement(store: Store) -> None:
    with pytest.raises(StoreError, match="SELEC 1"):
        store.query("SELEC 1")


def test_time_limit_applies_to_every_query(store: Store) -> None:
    store.timeout_s = 1
    with pytest.raises(QueryTimeout, match="exceeded 1s"):
        store.query("SELECT sleep(3)")


def test_tests_get_their_own_database(store: Store) -> None:
    assert store.query("SELECT currentDatabase()").scalar() == store.database
