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


def test_insert_raw_lets_the_engine_parse_the_payload(store: Store) -> None:
    store.command("CREATE TABLE r (n UInt32, s String) ENGINE = MergeTree ORDER BY n")
    store.insert_raw("r", ["s", "n"], b"a\t1\nb\t2\n", "TabSeparated")
    assert store.query("SELECT n, s FROM r ORDER BY n").rows == [(1, "a"), (2, "b")]


def test_insert_raw_rejection_is_a_store_error_naming_the_table(store: Store) -> None:
    store.command("CREATE TABLE r (n UInt32) ENGINE = MergeTree ORDER BY n")
    with pytest.raises(StoreError, match="INSERT INTO r FORMAT TabSeparated"):
        store.insert_raw("r", ["n"], b"not a number\n", "TabSeparated")
