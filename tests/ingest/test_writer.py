import base64
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from vigie.errors import StoreUnavailable
from vigie.ingest.rows import TableBatch
from vigie.ingest.writer import WriteQueue
from vigie.store import Store


@pytest.fixture()
def table(store: Store) -> Iterator[str]:
    store.command("CREATE TABLE w (n UInt32, s String) ENGINE = MergeTree ORDER BY n")
    yield "w"


def batch(start: int, count: int) -> TableBatch:
    ns = list(range(start, start + count))
    return TableBatch("w", ("n", "s"), [ns, [str(n) for n in ns]])


def count(store: Store) -> int:
    return int(store.query("SELECT count() FROM w").scalar())


def test_close_flushes_everything_accepted(store: Store, table: str) -> None:
    queue = WriteQueue(store, max_rows=10_000, batch_rows=1_000, flush_interval_s=60)
    queue.start()
    for i in range(10):
        assert queue.offer([batch(i * 250, 250)])
    queue.close()
    assert count(store) == 2_500
    assert queue.stats.queued_rows == 0


def flush_counting(store: Store, queue: WriteQueue) -> list[int]:
    """Flush ``queue``; the table's row count after each INSERT it made."""
    totals: list[int] = []
    real_insert = store.insert_raw

    def insert_raw(*args: Any, **kwargs: Any) -> None:
        real_insert(*args, **kwargs)
        totals.append(count(store))

    store.insert_raw = insert_raw  # type: ignore[method-assign]
    queue.flush()
    return totals


def test_batches_are_merged_up_to_batch_rows(store: Store, table: str) -> None:
    queue = WriteQueue(store, max_rows=10_000, batch_rows=300, flush_interval_s=60)
    for i in range(7):
        queue.offer([batch(i * 100, 100)])
    assert flush_counting(store, queue) == [300, 600, 700]
    assert count(store) == 700


def test_full_queue_refuses_whole_requests(store: Store, table: str) -> None:
    queue = WriteQueue(store, max_rows=500, batch_rows=1_000, flush_interval_s=60)
    assert queue.offer([batch(0, 400)])
    assert not queue.offer([batch(400, 50), batch(450, 100)])
    assert queue.stats.queued_rows == 400
    queue.flush()
    assert count(store) == 400


class FlakyStore:
    """A store whose first inserts fail as unreachable, as during a ClickHouse restart."""

    def __init__(self, real: Store, failures: int) -> None:
        self.real = real
        self.failures = failures

    def query(self, *args: Any) -> Any:
        return self.real.query(*args)

    def insert_raw(self, *args: Any) -> None:
        if self.failures:
            self.failures -= 1
            raise StoreUnavailable("connection refused")
        self.real.insert_raw(*args)


def test_unreachable_store_loses_nothing(store: Store, table: str) -> None:
    flaky = FlakyStore(store, failures=2)
    queue = WriteQueue(flaky, max_rows=10_000, batch_rows=100, flush_interval_s=0.05)  # type: ignore[arg-type]
    queue.start()
    queue.offer([batch(0, 250)])
    queue.close(timeout_s=20)
    assert count(store) == 250
    assert queue.stats.failed_writes == 2


def test_rows_the_store_rejects_are_isolated_and_dead_lettered(
    store: Store, tmp_path: Path
) -> None:
    store.command("CREATE TABLE w (n UInt8, s String) ENGINE = MergeTree ORDER BY n")
    queue = WriteQueue(
        store, max_rows=100, batch_rows=100, flush_interval_s=60, dead_letter_dir=tmp_path
    )
    bad = TableBatch("w", ("n", "s"), [[1, 2, 300, 4], ["a", "b", "c", "d"]])
    ticket = queue.offer([bad])
    assert ticket is not None and not ticket.done
    queue.flush()
    assert sorted(r[0] for r in store.query("SELECT n FROM w").rows) == [1, 2, 4]
    assert queue.stats.dead_rows == 1
    assert ticket.done and ticket.dead_rows == 1  # the receiver's partial_success says so
    assert '"n": 300' in (tmp_path / "w.jsonl").read_text()


def test_values_the_driver_cannot_encode_do_not_stop_the_writer(
    store: Store, table: str, tmp_path: Path
) -> None:
    queue = WriteQueue(
        store, max_rows=100, batch_rows=100, flush_interval_s=60, dead_letter_dir=tmp_path
    )
    queue.offer([TableBatch("w", ("n", "s"), [[1, "two", 3], ["a", "b", "c"]])])
    queue.flush()
    assert sorted(r[0] for r in store.query("SELECT n FROM w").rows) == [1, 3]
    assert queue.stats.dead_rows == 1


def test_a_block_the_store_rejects_is_dead_lettered_whole(store: Store, tmp_path: Path) -> None:
    store.command(
        "CREATE TABLE w (n UInt32, s String, CONSTRAINT not_seven CHECK n != 7)"
        " ENGINE = MergeTree ORDER BY n"
    )
    queue = WriteQueue(
        store, max_rows=100, batch_rows=100, flush_interval_s=60, dead_letter_dir=tmp_path
    )
    for start in (0, 5, 10):  # one block per request: rows 5..9 hold the 7
        queue.offer([batch(start, 5)])
    queue.flush()
    assert sorted(r[0] for r in store.query("SELECT n FROM w").rows) == [
        *range(5),
        *range(10, 15),
    ]
    assert (queue.stats.dead_rows, queue.stats.written_rows, queue.stats.queued_rows) == (5, 10, 0)
    (line,) = (tmp_path / "w.jsonl").read_text().splitlines()
    letter = json.loads(line)
    assert "not_seven" in letter["error"]
    assert letter["rows"] == 5
    replay = base64.b64decode(letter["native_base64"])
    store.command("ALTER TABLE w DROP CONSTRAINT not_seven")
    store.insert_raw("w", letter["columns"], replay, "Native")
    assert count(store) == 15


def test_requests_larger_than_a_batch_are_split(store: Store, table: str) -> None:
    queue = WriteQueue(store, max_rows=10_000, batch_rows=300, flush_interval_s=60)
    queue.offer([batch(0, 700)])
    assert flush_counting(store, queue) == [300, 600, 700]


class DownStore:
    """A store that cannot be reached at all."""

    def query(self, *args: Any) -> Any:
        raise StoreUnavailable("connection refused")


def test_offer_before_the_table_is_known_needs_the_store() -> None:
    queue = WriteQueue(DownStore(), max_rows=100, batch_rows=100, flush_interval_s=60)  # type: ignore[arg-type]
    with pytest.raises(StoreUnavailable):
        queue.offer([batch(0, 3)])
    assert queue.stats.queued_rows == 0


def test_rows_for_columns_the_table_lacks_are_dead_lettered(
    store: Store, table: str, tmp_path: Path
) -> None:
    queue = WriteQueue(
        store, max_rows=100, batch_rows=100, flush_interval_s=60, dead_letter_dir=tmp_path
    )
    assert queue.offer([TableBatch("w", ("n", "nope"), [[1, 2], ["a", "b"]]), batch(5, 2)])
    queue.flush()
    assert count(store) == 2
    assert queue.stats.dead_rows == 2
    assert "w has no column nope" in (tmp_path / "w.jsonl").read_text()


class GatedStore:
    """The real store; its first insert waits for ``gate`` (a slow insert, under control)."""

    def __init__(self, real: Store) -> None:
        self.real = real
        self.inserts = 0
        self.inside = threading.Event()
        self.gate = threading.Event()

    def query(self, *args: Any) -> Any:
        return self.real.query(*args)

    def insert_raw(self, *args: Any) -> None:
        self.inserts += 1
        if self.inserts == 1:
            self.inside.set()
            assert self.gate.wait(30)
        self.real.insert_raw(*args)


def test_awaited_requests_are_done_once_inserted_and_share_inserts(
    store: Store, table: str
) -> None:
    """Group commit: while one insert runs, the requests arriving share the next one."""
    gated = GatedStore(store)
    queue = WriteQueue(gated, max_rows=10_000, batch_rows=1_000, flush_interval_s=3600)  # type: ignore[arg-type]
    queue.start()
    first = queue.offer([batch(0, 10)], awaited=True)
    assert first is not None and gated.inside.wait(30)  # written without waiting an hour
    others = [queue.offer([batch(10 + i * 10, 10)], awaited=True) for i in range(3)]
    assert not first.done and not any(t is None or t.done for t in others)
    gated.gate.set()
    assert all(t is not None and t.wait(30) for t in [first, *others])
    assert count(store) == 40
    assert gated.inserts == 2
    queue.close()


def test_withdrawn_rows_are_never_written(store: Store, table: str) -> None:
    queue = WriteQueue(store, max_rows=10_000, batch_rows=1_000, flush_interval_s=3600)
    kept, dropped = queue.offer([batch(0, 5)]), queue.offer([batch(5, 7)])
    assert kept is not None and dropped is not None
    assert queue.withdraw(dropped) == 7
    assert queue.stats.queued_rows == 5
    queue.flush()
    assert count(store) == 5 and kept.done and not dropped.done
